"""Logging in and out: card (the production path), uthopp from a journal system, and a
password login for development only."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from contracts.certificates import CertificateRefused, accepted_client_serial
from service_domain import services
from service_domain.identity import is_hsa_id
from service_domain.staff import PATIENT_WORK

from .. import auth, uthopp
from ..forms import ButtonForm, CardLoginForm, DevLoginForm
from ..web import csrf, env, now

bp = Blueprint("login", __name__)
log = logging.getLogger("eph.staff_web.login")


# why a card's certificate is refused, in the page's words (the keys of contracts.certificates.REASONS)
CARD_REFUSALS = {
    "unreadable": "Kortets certifikat kunde inte läsas.",
    "validity": "Kortets certifikat är inte giltigt just nu.",
    "ca": "Certifikatet är ett utfärdarcertifikat (CA), inte ett kort att logga in med.",
    "key-usage": "Certifikatets nyckelanvändning tillåter inte digitala signaturer.",
    "client-auth": "Certifikatet är inte avsett för inloggning (klientautentisering saknas).",
}


def _card() -> tuple[str | None, str | None]:
    """The SERIALNUMBER of the client certificate on the TLS listener (the staff member's
    HSA-id), or why the certificate is refused (in Swedish): the same rule as every other
    client certificate."""
    sock: Any = request.environ.get("gunicorn.socket")
    getpeercert = getattr(sock, "getpeercert", None)
    if getpeercert is None:
        return None, None
    try:
        return accepted_client_serial(getpeercert(binary_form=True)), None
    except CertificateRefused as e:
        return None, "Kortets certifikat godtas inte. " + CARD_REFUSALS.get(e.reason, "Det uppfyller inte kraven för inloggning.")


def _page(dev_form: DevLoginForm | None = None, status: int = 200, error: str | None = None) -> tuple[str, int]:
    nxt = auth.safe_next(request.values.get("next")) or ""
    dev_form = dev_form or DevLoginForm(next=nxt)
    card_form = CardLoginForm(next=nxt)
    serial, refused = _card() if request.is_secure else (None, None)
    return render_template(
        "login.html",
        dev_form=dev_form,
        card_form=card_form,
        card=serial is not None,
        refused=refused,
        secure=request.is_secure,
        error=error,
    ), status


def _after_login() -> Response:
    return redirect(auth.safe_next(request.values.get("next")) or url_for("home.start"))


@bp.get("/login")
def login_page() -> Any:
    if g.member is not None:
        return redirect(url_for("home.start"))
    return _page()


@bp.post("/login")
def dev_login() -> Any:
    e = env()
    if not e.config.dev_login:
        abort(404)
    form = DevLoginForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    account, address = form.hsa_id.data.strip(), request.remote_addr or "-"
    moment = now()
    if e.throttle.blocked(e.store, account, address, moment):
        log.warning("login refused method=dev reason=throttled")
        return _page(form, 429, "För många misslyckade inloggningar. Vänta en stund och försök igen.")
    member = services.find_staff_member(e.db.uow(), account) if is_hsa_id(account) else None
    stored = services.dev_password_hash(e.db.uow(), account) if member is not None else None
    if member is None or not member.active or not auth.verify_password(stored, form.password.data):
        e.throttle.failed(e.store, account, address, moment)
        log.info("login failed method=dev")
        return _page(form, 401, "Fel HSA-id eller lösenord.")
    e.throttle.succeeded(e.store, account)
    auth.log_in(member, "dev")
    log.info("login method=dev")
    return _after_login()


@bp.post("/login/card")
def card_login() -> Any:
    form = CardLoginForm()
    if not form.validate_on_submit():
        abort(400)
    serial, refused = _card() if request.is_secure else (None, None)
    if refused is not None:
        log.info("login failed method=card reason=certificate")
        return _page(status=403, error=refused)
    if serial is None:
        return _page(status=401, error="Inget kort hittades. Sätt i kortet och logga in via den säkra adressen.")
    member = services.find_staff_member(env().db.uow(), serial) if is_hsa_id(serial) else None
    if member is None or not member.active:
        log.info("login failed method=card reason=unregistered")
        return _page(status=403, error="Kortets innehavare är inte registrerad som medarbetare i tjänsten.")
    auth.log_in(member, "card")
    log.info("login method=card")
    return _after_login()


@bp.route("/uthopp", methods=["GET", "POST"])
@csrf.exempt  # the signed, single-use token is the proof; it comes from the journal system's page
def uthopp_landing() -> Any:
    e = env()
    token = request.values.get("token", "")
    try:
        hop, system = uthopp.verify(
            token,
            audience=e.config.hsa_id,
            now=now(),
            max_lifetime=e.config.uthopp_max_lifetime,
            signing_keys=lambda iss: services.signing_keys(e.db.uow(), iss),
            use_once=e.store.use_token,
        )
        member = services.find_staff_member(e.db.uow(), hop.staff)
        if member is None or not member.active or not system.serves(member.care_giver):
            raise uthopp.UthoppRefused("staff")
        if not member.works_at(hop.care_unit) or not member.may(hop.care_unit, *PATIENT_WORK):
            raise uthopp.UthoppRefused("unit")
    except uthopp.UthoppRefused as refused:
        log.info("uthopp refused reason=%s", refused.reason)
        return render_template(
            "error.html", code=401, title="Länken från journalsystemet gick inte att använda",
            text="Länken kan ha gått ut eller redan ha använts. Gå tillbaka till journalsystemet och öppna patienten igen.",
        ), 401
    auth.log_in(member, "uthopp", hop.care_unit)
    from flask import session

    session["patient"] = hop.patient
    log.info("login method=uthopp")
    return redirect(url_for("patient.page"))


@bp.post("/logout")
def logout() -> Response:
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    auth.log_out()
    flash("Du är utloggad.", "info")
    return redirect(url_for("login.login_page"))
