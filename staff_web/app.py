"""The staff web application (Flask): pages for staff of care givers whose systems are not
connected. Every page calls the service layer as the staff web, naming the staff member and
the care unit they act at; the service layer checks their functions and audits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, g, render_template, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from service_domain import services
from service_domain.clock import SWEDISH_TZ, local_date, utcnow
from service_domain.persistence.database import Database
from service_domain.ports import PopulationRegister
from service_domain.staff import PATIENT_WORK, StaffFunction

from . import display, people, texts
from .auth import Throttle
from .config import StaffWebConfig
from .sessions import DbSessionInterface
from .store import WebStore
from .views import admin, followup, home, log_review, login, patient, region, results, sampling
from .web import Env, csrf

log = logging.getLogger("eph.staff_web")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

ERRORS = {
    400: ("Felaktig begäran", "Sidan kunde inte visas med de uppgifter som skickades."),
    403: ("Ingen behörighet", "Du har inte behörighet till den här sidan på den vårdenhet du arbetar på."),
    404: ("Sidan finns inte", "Det du letade efter finns inte, eller hör till en annan vårdgivare."),
    405: ("Fel sorts begäran", "Sidan kan inte användas på det sättet."),
    409: ("Det gick inte", "Uppgiften är inte i ett läge som tillåter det."),
    413: ("För stor fil", "Filen är för stor. Den får vara högst 1 MB."),
    429: ("För många försök", "För många misslyckade inloggningar. Vänta en stund och försök igen."),
    500: ("Något gick fel", "Ett oväntat fel inträffade. Försök igen om en stund. Kontakta support om felet kvarstår."),
}


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if moment is None else moment.astimezone(SWEDISH_TZ).strftime(fmt)


def create_app(
    db: Database, config: StaffWebConfig, clock: Callable[[], datetime] = utcnow,
    register: PopulationRegister | None = None,
) -> Flask:
    app = Flask(__name__)
    store = WebStore(db.engine)
    app.secret_key = store.secret_key()
    app.config.update(
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=True,
        TEMPLATES_AUTO_RELOAD=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    app.session_interface = DbSessionInterface(
        store, timedelta(minutes=config.idle_minutes), timedelta(hours=config.session_hours), clock,
        dev_login=config.dev_login,
    )
    throttle = Throttle(config.failures_per_account, config.failures_per_address,
                        timedelta(minutes=config.failure_window_minutes))
    app.extensions["eph"] = Env(db, config, store, clock, throttle, register)
    csrf.init_app(app)
    for blueprint in (home.bp, login.bp, patient.bp, sampling.bp, results.bp, followup.bp, admin.bp, log_review.bp,
                      region.bp):
        app.register_blueprint(blueprint)

    @app.before_request
    def who() -> None:
        g.started = time.perf_counter()
        g.member = None
        g.unit = None
        if request.endpoint == "static":
            return
        hsa_id = session.get("staff")
        if hsa_id:
            member = services.find_staff_member(db.uow(), hsa_id)
            if member is None or not member.active:
                session.clear()
                return
            g.member = member
            unit = session.get("unit")
            g.unit = unit if unit and member.works_at(unit) else None

    @app.after_request
    def headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.endpoint != "static":
            h["Cache-Control"] = "no-store"
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000"
        # one line per request: the route, never its values
        log.info(
            "request method=%s endpoint=%s status=%s ms=%.1f",
            request.method, request.endpoint or "-", response.status_code,
            (time.perf_counter() - g.get("started", time.perf_counter())) * 1000,
        )
        return response

    def error_page(code: int) -> tuple[str, int]:
        title, text = ERRORS.get(code, ERRORS[500])
        return render_template("error.html", code=code, title=title, text=text), code

    @app.errorhandler(CSRFError)
    def csrf_failed(e: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html", code=400, title="Formuläret har gått ut",
            text="Gå tillbaka, ladda om sidan och försök igen.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        if e.code is None or e.code < 400:
            return e
        return error_page(e.code)

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> tuple[str, int]:
        # the exception's text may quote data: only its type is logged
        log.error("internal error %s endpoint=%s", type(e).__name__, request.endpoint or "-")
        return error_page(500)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        member = g.get("member")
        unit = g.get("unit")
        names = services.unit_names(db.uow()) if member else {}
        return {
            "member": member,
            "unit": unit,
            # care units and care givers by name where the register of names knows them (eph units)
            "unit_label": (names.get(unit.upper()) or unit) if unit else None,
            "care_giver_label": (names.get(member.care_giver.upper()) or member.care_giver) if member else None,
            "F": StaffFunction,
            "may": (lambda *fns: bool(member and unit and member.may(unit, *fns))),
            "may_patient": bool(member and unit and member.may(unit, *PATIENT_WORK)),
            "dev_login": config.dev_login,
            # the support of the region the member's care giver is under today (its contact)
            "support_region": services.region_contact(db.uow(), member.care_giver, local_date(clock()))
            if member else None,
            "t": texts,
        }

    app.jinja_env.filters["time"] = local_time
    app.jinja_env.filters["day"] = lambda m: local_time(m, "%Y-%m-%d")
    app.jinja_env.filters["pnr"] = people.show
    app.jinja_env.filters["outcome"] = display.outcome
    app.jinja_env.filters["interval"] = display.interval
    app.jinja_env.filters["number"] = display.number
    return app
