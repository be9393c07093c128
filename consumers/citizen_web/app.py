"""The citizen web (Flask). Each page asks the service, through the platform, for what it shows,
as the citizen e-service acting for the logged-in patient: the patient's personnummer comes from
the session only, never from the address or a form, so no page can show another patient's data.
An order id in an address is looked up among the patient's own orders first."""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, NotFound

from ..errors import ConsumerError, LogicalError
from ..roles import SWEDISH_TZ, CitizenService
from . import own_copy, texts
from .auth import valid_personnummer
from .config import CitizenWebConfig
from .home_region import HomeRegion, configured
from .session import DEV_COOKIE, SECURE_COOKIE, Session, SessionCodec, new_key

log = logging.getLogger("eph.citizen_web")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ERRORS = {
    400: ("Felaktig begäran", "Sidan kunde inte visas med de uppgifter som skickades."),
    404: ("Sidan finns inte", "Det du letade efter finns inte bland dina uppgifter."),
    405: ("Fel sorts begäran", "Sidan kan inte användas på det sättet."),
    413: ("För mycket information", "Formuläret innehöll för mycket information."),
    500: ("Något gick fel", texts.FAILED),
}
# entries of the access log on one page
LOG_PAGE = 20
PUBLIC = frozenset({"static", "login_page", "dev_login", "oidc_return"})
POSTAL_CODE = re.compile(r"^[0-9]{3} ?[0-9]{2}$")
PHONE = re.compile(r"^\+?[0-9 \-]{5,20}$")


def create_app(config: CitizenWebConfig, citizen: CitizenService | None = None, session_key: str | None = None,
               home_region: HomeRegion | None = None) -> Flask:
    """The citizen web; ``home_region`` tells each patient's home region (default: the
    configured region for everyone; see ``home_region.py``)."""
    app = Flask(__name__)
    region_of = home_region or configured(config.care_giver)
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, TEMPLATES_AUTO_RELOAD=False, PROPAGATE_EXCEPTIONS=False)
    codec = SessionCodec(session_key or config.session_key or new_key(),
                         config.idle_minutes * 60, config.session_hours * 3600)
    service = citizen or CitizenService(config.connection())

    def cookie_name() -> str:
        return SECURE_COOKIE if request.is_secure else DEV_COOKIE

    @app.before_request
    def session_and_csrf() -> Any:
        g.started = time.perf_counter()
        if request.endpoint == "static":
            return None
        g.session = codec.load(request.cookies.get(cookie_name())) or codec.new()
        if request.method == "POST" and not codec.csrf_ok(g.session, request.form.get("csrf_token")):
            log.info("csrf refused endpoint=%s", request.endpoint or "-")
            return error_page(400, "Formuläret har gått ut", "Gå tillbaka, ladda om sidan och försök igen.")
        if isinstance(request.routing_exception, NotFound):
            return None  # an unknown address is the 404 page, logged in or not
        if request.endpoint not in PUBLIC and not g.session.authenticated:
            return redirect(url_for("login_page"))
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "no-referrer"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000"
        session: Session | None = g.get("session")
        if request.endpoint != "static":
            h["Cache-Control"] = "no-store"
            if session is not None and not g.get("logged_out"):
                # renewed on every request: the idle timeout counts from the last one
                response.set_cookie(cookie_name(), codec.dump(session), path="/", secure=request.is_secure,
                                    httponly=True, samesite="Lax")
                response.headers.add("Vary", "Cookie")
        # one line per request: the route and the outcome, never values
        log.info("request method=%s endpoint=%s status=%s ms=%.1f", request.method, request.endpoint or "-",
                 response.status_code, (time.perf_counter() - g.get("started", time.perf_counter())) * 1000)
        return response

    def error_page(code: int, title: str | None = None, text: str | None = None) -> tuple[str, int]:
        default_title, default_text = ERRORS.get(code, ERRORS[500])
        return render_template("error.html", title=title or default_title, text=text or default_text), code

    @app.errorhandler(ConsumerError)
    def service_trouble(e: ConsumerError) -> tuple[str, int]:
        # the kind of trouble and the platform's correlation id, never the message (it may quote data)
        log.warning("call failed %s endpoint=%s correlation=%s", type(e).__name__, request.endpoint or "-",
                    e.correlation_id or "-")
        return error_page(503, "Det gick inte att hämta dina uppgifter", texts.refusal(e))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        if e.code is None or e.code < 400:
            return e
        return error_page(e.code)

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> tuple[str, int]:
        log.error("internal error %s endpoint=%s", type(e).__name__, request.endpoint or "-")
        return error_page(500)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        session: Session | None = g.get("session")
        return {
            "session": session,
            "csrf_token": (lambda: codec.csrf_token(session)) if session else (lambda: ""),
            "dev_login": config.dev_login,
            "support_phone": config.support_phone,
            "t": texts,
        }

    def shown_time(ts: str | None, with_time: bool = True) -> Markup:
        # a <time> element, kept on one line (a narrow screen broke "2026-" from "11-26")
        text = texts.timestamp(ts, with_time)
        return Markup('<time>{}</time>').format(text) if text else Markup("")

    app.jinja_env.filters["ts"] = shown_time
    app.jinja_env.filters["day"] = lambda ts: shown_time(ts, with_time=False)
    app.jinja_env.filters["pnr"] = texts.personnummer

    def me() -> str:
        pnr = g.session.personnummer
        assert pnr is not None
        return str(pnr)

    # ------------------------------------------------------------------ logging in and out

    @app.get("/logga-in")
    def login_page() -> Any:
        if g.session.authenticated:
            return redirect(url_for("offers"))
        return render_template("login.html", logged_out="utloggad" in request.args)

    @app.post("/logga-in")
    def dev_login() -> Any:
        if not config.dev_login:
            abort(404)
        pnr = valid_personnummer(request.form.get("personnummer", ""))
        if pnr is None:
            return render_template("login.html", error="Skriv ett giltigt personnummer med tolv siffror, "
                                   "ÅÅÅÅMMDD-NNNN.", typed=request.form.get("personnummer", "")[:20]), 400
        g.session = codec.new(pnr)  # a new session id at login
        log.info("login method=dev")
        return redirect(url_for("offers"))

    @app.get("/logga-in/klar")
    def oidc_return() -> Any:
        # where an OpenID Connect provider sends the browser back (see auth.py); none is configured
        abort(404)

    @app.post("/logga-ut")
    def logout() -> Any:
        g.logged_out = True
        response = redirect(url_for("login_page", utloggad=1))
        response.delete_cookie(cookie_name(), path="/", secure=request.is_secure, httponly=True, samesite="Lax")
        log.info("logout")
        return response

    # ------------------------------------------------------------------ offers and ordering

    def self_service_entries() -> list[Any]:
        """The self-service entries of the patient's home region (its care givers' included)."""
        region = region_of(me())
        return service.self_service_offers(region) if region else []

    def assigned_offers() -> list[Any]:
        # the offers staff gave the patient; those made for a self-service order are the patient's own
        return [o for o in service.offers(me())
                if o.assignedBy is None or o.assignedBy.actorType != "PATIENT"]

    @app.get("/")
    def offers() -> Any:
        return render_template("offers.html", assigned=assigned_offers(), entries=self_service_entries())

    def instructions_for(care_giver: str, offer_code: str) -> str | None:
        """The catalogue's advice to the patient before sampling (fasting, morning urine), if any."""
        entry = service.catalogue_entry(care_giver, offer_code)
        return entry.patientInstructions if entry is not None else None

    def order_context(form: dict[str, str]) -> dict[str, Any]:
        """What an order page is about: an assigned offer of the patient, or a self-service entry."""
        offer_id, code = form.get("erbjudande") or "", form.get("prov") or ""
        if offer_id:
            offer = next((o for o in assigned_offers() if o.offerId == offer_id), None)
            if offer is None:
                abort(404)
            modes = list(offer.samplingMode)
            sites = service.sites(me(), offer_id=offer_id) if "SITE" in modes else []
            return {"offer": offer, "entry": None, "modes": modes, "sites": sites, "name": offer.displayName,
                    "pickups": pickup_points(modes, sites, offer.accountableCareGiver),
                    "instructions": instructions_for(offer.accountableCareGiver, offer.offerCode)}
        # an entry of the home region by code and care giver (the region's and a private care
        # giver's may share a code); without a care giver, the first with the code
        giver = (form.get("vardgivare") or "").upper()
        entry = next((d for d in self_service_entries()
                      if d.offerCode == code and (not giver or d.careGiverHSAId.upper() == giver)), None)
        if entry is None:
            abort(404)
        modes = list(entry.samplingMode)
        sites = service.sites(me(), care_giver=entry.careGiverHSAId) if "SITE" in modes else []
        return {"offer": None, "entry": entry, "modes": modes, "sites": sites, "name": entry.displayName,
                "pickups": pickup_points(modes, sites, entry.careGiverHSAId), "instructions": entry.patientInstructions}

    def pickup_points(modes: list[str], sites: list[Any], care_giver: str) -> list[Any]:
        """Where a home kit may be collected instead of sent home: the care giver's sampling sites."""
        if "HOME_KIT" not in modes:
            return []
        return sites or service.sites(me(), care_giver=care_giver)

    @app.get("/bestall")
    def order_page() -> Any:
        return render_template("order.html", form={}, errors={}, **order_context(dict(request.args)))

    @app.post("/bestall")
    def place_order() -> Any:
        form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
        context = order_context(form)
        mode = form.get("mode", "")
        errors: dict[str, str] = {}
        address = None
        if mode == "SITE":
            if not form.get("site"):
                errors["site"] = "Välj en mottagning."
        elif mode == "PICKUP":
            if not form.get("pickup"):
                errors["pickup"] = "Välj mottagningen där du hämtar kitet."
            if form.get("pickupPhone") and not PHONE.match(form["pickupPhone"]):
                errors["pickupPhone"] = "Skriv telefonnumret med siffror, till exempel 070-123 45 67."
        elif mode == "HOME_KIT":
            address = {"name": form.get("name", ""), "street": form.get("street", ""),
                       "postalCode": form.get("postalCode", ""), "city": form.get("city", "")}
            for field, text in (("name", "Skriv namnet på brevlådan."), ("street", "Skriv gatuadressen."),
                                ("city", "Skriv orten.")):
                if not address[field] or len(address[field]) > 255:
                    errors[field] = text
            if not POSTAL_CODE.match(address["postalCode"]):
                errors["postalCode"] = "Skriv postnumret med fem siffror, till exempel 111 22."
            if form.get("phone") and not PHONE.match(form["phone"]):
                errors["phone"] = "Skriv telefonnumret med siffror, till exempel 070-123 45 67."
        else:
            abort(400)
        if errors:
            return render_template("order.html", form=form, errors=errors, **context), 400
        entry = {} if context["offer"] else {"care_giver": context["entry"].careGiverHSAId,
                                             "offer_code": context["entry"].offerCode}
        offer_id = context["offer"].offerId if context["offer"] else None
        try:
            if mode == "SITE":
                answer = service.order_site_sampling(offer_id, me(), form["site"], **entry)
            elif mode == "PICKUP":
                answer = service.order_home_kit(offer_id, me(), None, form.get("pickupPhone") or None,
                                                pickup_point=form["pickup"], **entry)
            else:
                assert address is not None
                answer = service.order_home_kit(offer_id, me(), address, form.get("phone") or None, **entry)
        except LogicalError as e:
            log.info("order refused sub_code=%s", e.sub_code or e.error_code or "-")
            return render_template("order.html", form=form, errors={}, refused=texts.refusal(e), **context), 409
        return redirect(url_for("order_detail", order_id=answer.orderId, ny=1))

    # ------------------------------------------------------------------ the patient's orders and results

    def released(results: list[Any]) -> dict[str, Any]:
        return {r.order.orderId: r for r in results if r.result is not None and r.releasedToPatient}

    def status_text(order: Any, shown: dict[str, Any]) -> str:
        view = shown.get(order.orderId)
        if view is not None:
            return texts.WITH_RESULT.get(view.result.reportStatus, texts.NOT_YET)
        return texts.STATUS.get(order.status, texts.NOT_YET)

    def sites_by_id(orders: list[Any]) -> dict[str, Any]:
        return service.sites_of(me(), orders)

    @app.get("/bestallningar")
    def orders() -> Any:
        mine = sorted(service.orders(me()), key=lambda o: o.createdTime, reverse=True)
        shown = released(service.results(me()))
        return render_template("orders.html", orders=mine, status=lambda o: status_text(o, shown),
                               sites=sites_by_id(mine))

    def my_order(order_id: str) -> Any:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", order_id):
            abort(404)
        order = next((o for o in service.orders(me()) if o.orderId == order_id), None)
        if order is None:
            abort(404)
        return order

    def detail_page(order: Any, **extra: Any) -> str:
        shown = released(service.results(me()))
        advice = instructions_for(order.accountableCareGiver, order.offerCode) if order.status in texts.CANCELLABLE else None
        return render_template("order_detail.html", order=order, status=status_text(order, shown),
                               sites=sites_by_id([order]), instructions=advice, **extra)

    @app.get("/bestallningar/<order_id>")
    def order_detail(order_id: str) -> Any:
        return detail_page(my_order(order_id), new="ny" in request.args, cancelled="avbokad" in request.args)

    @app.get("/bestallningar/<order_id>/avboka")
    def confirm_cancel(order_id: str) -> Any:
        """A cancellation is asked for, then confirmed: one tap on a phone is not enough."""
        order = my_order(order_id)
        if order.status not in texts.CANCELLABLE:
            return redirect(url_for("order_detail", order_id=order.orderId))
        return render_template("cancel_order.html", order=order)

    @app.post("/bestallningar/<order_id>/avboka")
    def cancel(order_id: str) -> Any:
        order = my_order(order_id)
        if request.form.get("bekraftad") != "ja":
            return redirect(url_for("confirm_cancel", order_id=order.orderId))
        try:
            service.cancel(order.orderId, me())
        except LogicalError as e:
            log.info("cancel refused sub_code=%s", e.sub_code or e.error_code or "-")
            return detail_page(order, refused=texts.refusal(e)), 409
        return redirect(url_for("order_detail", order_id=order.orderId, avbokad=1))

    @app.get("/provsvar")
    def results() -> Any:
        views = service.results(me(), history=True)
        shown = released(views)
        waiting = [o for o in service.orders(me()) if o.orderId not in shown and o.status in texts.WAITING]
        ready = sorted(shown.values(), key=lambda v: v.result.reportTime, reverse=True)
        return render_template("results.html", ready=ready, waiting=waiting)

    # ------------------------------------------------------------------ notices

    def notices_page(settings: Any, form: dict[str, str], errors: dict[str, str], status: int = 200,
                     **extra: Any) -> tuple[str, int]:
        return render_template("notices.html", current=texts.notice_choice(settings), form=form, errors=errors,
                               **extra), status

    def settings_form(settings: Any) -> dict[str, str]:
        if settings is None:
            return {"channel": "NONE"}
        return {"channel": settings.channel, "email": settings.emailAddress or "",
                "mobile": texts.mobile(settings.mobileNumber)}

    @app.get("/aviseringar")
    def notices() -> Any:
        settings = service.notice_settings(me())
        saved = {"sparat": texts.NOTICES_SAVED, "av": texts.NOTICES_TURNED_OFF}.get(request.args.get("klart", ""))
        return notices_page(settings, settings_form(settings), {}, saved=saved)

    @app.post("/aviseringar")
    def save_notices() -> Any:
        form = {k: request.form.get(k, "").strip() for k in ("channel", "email", "mobile")}
        channel = form["channel"]
        errors: dict[str, str] = {}
        if channel not in ("NONE", "EMAIL", "SMS"):
            errors["channel"] = texts.NOTICE_ERRORS["channel"]
        elif channel == "EMAIL" and (not form["email"] or len(form["email"]) > 254 or "@" not in form["email"]):
            errors["email"] = texts.NOTICE_ERRORS["email"]
        elif channel == "SMS" and (not form["mobile"] or not PHONE.match(form["mobile"])):
            errors["mobile"] = texts.NOTICE_ERRORS["mobile"]
        if errors:
            return notices_page(service.notice_settings(me()), form, errors, 400)
        try:
            service.set_notice_settings(me(), channel, form["email"] if channel == "EMAIL" else None,
                                        form["mobile"] if channel == "SMS" else None)
        except LogicalError as e:
            # the service names the field it refused (never the value): the page says which, in Swedish
            log.info("notice settings refused error=%s", e.sub_code or e.error_code or "-")
            field = {"emailAddress": "email", "mobileNumber": "mobile"}.get(e.message.split(" ", 1)[0])
            if e.error_code == "VALIDATION_ERROR" and field:
                return notices_page(service.notice_settings(me()), form, {field: texts.NOTICE_ERRORS[field]}, 400)
            return notices_page(service.notice_settings(me()), form, {}, 409, refused=texts.refusal(e))
        return redirect(url_for("notices", klart="av" if channel == "NONE" else "sparat"))

    # ------------------------------------------------------------------ the patient's own copy

    @app.get("/mina-uppgifter")
    def own_copy_page() -> Any:
        return render_template("own_copy.html")

    @app.get("/mina-uppgifter/kopia.<kind>")
    def own_copy_file(kind: str) -> Any:
        if kind not in ("pdf", "json"):
            abort(404)
        try:
            sources = own_copy.fetch(service, me())
        except ConsumerError as e:
            # no file at all rather than part of one; the kind of trouble is logged, never data
            log.warning("own copy failed %s correlation=%s", type(e).__name__, e.correlation_id or "-")
            return render_template("own_copy.html", failed=texts.refusal(e)), 503
        doc = own_copy.document(sources, me(), config.hsa_id, datetime.now(SWEDISH_TZ))
        body = own_copy.as_pdf(doc) if kind == "pdf" else own_copy.as_json(doc)
        mimetype = "application/pdf" if kind == "pdf" else "application/json"
        # built in memory for this request only: never stored, never cached (after_request: no-store)
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f'attachment; filename="{own_copy.file_name(doc, kind)}"'})

    @app.get("/vem-har-tittat")
    def access_log() -> Any:
        everything = "alla" in request.args
        number = request.args.get("sida", "1")
        if not number.isdigit() or int(number) < 1:
            abort(404)
        entries = list(service.access_log(me(), page_size=1000))
        # the e-service's own reads for the logged-in patient (every page here makes some) are left
        # out unless asked for; its writes (the patient's orders and cancellations) are always shown
        others = [e for e in entries if not (e.systemHSAId == config.hsa_id and e.action == "READ")]
        shown = entries if everything else others
        pages = max(1, -(-len(shown) // LOG_PAGE))
        page = int(number)
        if page > pages:
            abort(404)
        on_page = shown[(page - 1) * LOG_PAGE:page * LOG_PAGE]
        return render_template("access_log.html", entries=on_page, everything=everything,
                               own_count=len(entries) - len(others), me=me(), own_system=config.hsa_id,
                               page=page, pages=pages, total=len(shown))

    return app
