"""Logging in from a journal system (uthopp), with a card, and what a staff member of another
care giver can see."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Browser, Page, expect

from eph import demo
from service_domain import services
from service_domain.clock import utcnow
from service_domain.identity import PersonId
from service_domain.model import SystemKey
from service_domain.persistence.database import Database
from staff_web.views.login import CARD_REFUSALS
from tests.certs import CertificateAuthority

from .conftest import StaffWebProcess, card_context, check_page, dev_login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PATIENT_A1 = demo.DEMO_PATIENTS["A1"]
KID = "ehr1-test-key"


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="module")
def ehr_key(db: Database) -> Iterator[ec.EllipticCurvePrivateKey]:
    """The demo journal system's signing key, registered with the service."""
    key = ec.generate_private_key(ec.SECP256R1())
    services.add_system_key(db.uow(), SystemKey(demo.EHR_A, KID, _pem(key), utcnow()))
    yield key
    services.remove_system_key(db.uow(), demo.EHR_A, KID)


def token(key: Any, *, lifetime: int = 60, issued: float | None = None, **claims: Any) -> str:
    now = time.time() if issued is None else issued
    body = {
        "iss": demo.EHR_A, "aud": demo.STAFF_WEB, "sub": "SE2321000016-SSK1", "careUnitHSAId": demo.CARE_UNIT_A,
        "patientId": PATIENT_A1, "iat": int(now), "exp": int(now + lifetime), "jti": str(uuid.uuid4()), **claims,
    }
    return jwt.encode(body, key, algorithm="ES256", headers={"kid": KID})


def refused(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Länken från journalsystemet gick inte att använda")
    check_page(page, name)


def test_uthopp_lands_on_the_patient(browser: Browser, page: Page, staff_web: StaffWebProcess,
                                     ehr_key: Any, db: Database) -> None:
    t = token(ehr_key)
    response = page.goto(f"{staff_web.base_url}/uthopp?token={t}")
    assert response is not None
    page.wait_for_url(f"{staff_web.base_url}/patient")
    expect(page.get_by_role("heading", name=f"{PATIENT_A1[:8]}-{PATIENT_A1[8:]}")).to_be_visible()
    expect(page.get_by_text("Sara Provtagare")).to_be_visible()
    check_page(page, "uthopp-patient")
    with db.uow() as uow:
        views = [r for r in uow.audit.for_patient(PATIENT_A1)
                 if r.operation == "PatientView" and r.actor_id == "SE2321000016-SSK1"]
    assert views
    assert views[-1].care_unit == demo.CARE_UNIT_A
    assert views[-1].consumer_hsa_id == demo.STAFF_WEB

    # the token is good once only: the same link again is refused, also in another browser
    other = browser.new_context(locale="sv-SE")
    try:
        again = other.new_page()
        answer = again.goto(f"{staff_web.base_url}/uthopp?token={t}")
        assert answer is not None
        assert answer.status == 401
        refused(again, "uthopp-replayed")
    finally:
        other.close()


def test_uthopp_refuses_expired_overlong_and_foreign_tokens(page: Page, staff_web: StaffWebProcess, ehr_key: Any) -> None:
    expired = token(ehr_key, issued=time.time() - 300)
    answer = page.goto(f"{staff_web.base_url}/uthopp?token={expired}")
    assert answer is not None
    assert answer.status == 401
    refused(page, "uthopp-expired")
    overlong = token(ehr_key, lifetime=600)  # exp more than two minutes ahead
    answer = page.goto(f"{staff_web.base_url}/uthopp?token={overlong}")
    assert answer is not None
    assert answer.status == 401
    stranger = ec.generate_private_key(ec.SECP256R1())  # not the key the journal system registered
    answer = page.goto(f"{staff_web.base_url}/uthopp?token={token(stranger)}")
    assert answer is not None
    assert answer.status == 401
    refused(page, "uthopp-wrong-key")
    # none of these logged anyone in
    page.goto(f"{staff_web.base_url}/patient")
    page.wait_for_url(re.compile(r".*/login\?next=.*patient$"))
    # nor did they use up a good token's id: a fresh token works
    answer = page.goto(f"{staff_web.base_url}/uthopp?token={token(ehr_key)}")
    page.wait_for_url(f"{staff_web.base_url}/patient")


def test_card_login(browser: Browser, staff_web: StaffWebProcess, ca: CertificateAuthority) -> None:
    card = ca.issue("card-ssk2", "Fredrik Uppföljare", serial_number="SE2321000016-SSK2")
    context = card_context(browser, staff_web, card)
    try:
        page = context.new_page()
        page.goto(staff_web.tls_url + "/login")
        expect(page.get_by_text("Ditt kort är läst")).to_be_visible()
        expect(page.get_by_role("heading", name="Utvecklingsinloggning")).to_be_visible()
        check_page(page, "login-card")
        page.get_by_role("button", name="Logga in med kort").click()
        page.wait_for_url(staff_web.tls_url + "/")
        expect(page.get_by_role("heading", name="Välkommen, Fredrik Uppföljare")).to_be_visible()
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["__Host-eph-staff"]
        assert session["secure"]
        assert session["httpOnly"]
        assert session["sameSite"] == "Lax"
        check_page(page, "start-card")
        # the TLS session is not the plain listener's: there the browser is not logged in
        page.goto(staff_web.base_url + "/")
        page.wait_for_url("**/login")
    finally:
        context.close()

    stranger = ca.issue("card-unknown", "Okänd Person", serial_number="SE2321000016-NOBODY1")
    context = card_context(browser, staff_web, stranger)
    try:
        page = context.new_page()
        page.goto(staff_web.tls_url + "/login")
        page.get_by_role("button", name="Logga in med kort").click()
        expect(page.locator(".message.error")).to_contain_text("inte registrerad som medarbetare")
        assert "__Host-eph-staff" not in {c["name"] for c in context.cookies() if "staff" in c.get("value", "x")}
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["ca", "key-usage"])
def test_card_login_refuses_what_the_handshake_lets_through(browser: Browser, staff_web: StaffWebProcess,
                                                            ca: CertificateAuthority, kind: str) -> None:
    """An intermediate CA's certificate, or one whose key is for key agreement only, with a
    registered staff member's HSA-id: the TLS handshake accepts both, the login does not."""
    card = {
        "ca": lambda: ca.issue("card-ca", "Fredrik Uppföljare", serial_number="SE2321000016-SSK2", ca=True),
        "key-usage": lambda: ca.issue("card-agreement", "Fredrik Uppföljare", serial_number="SE2321000016-SSK2",
                                      key_usage=ca.key_usage(digital_signature=False, key_agreement=True)),
    }[kind]()
    context = card_context(browser, staff_web, card)
    try:
        page = context.new_page()
        page.goto(staff_web.tls_url + "/login")
        expect(page.get_by_text(CARD_REFUSALS[kind])).to_be_visible()
        expect(page.get_by_role("button", name="Logga in med kort")).to_have_count(0)
        check_page(page, f"login-card-refused-{kind}")
        # posting the card form anyway (the session's CSRF token is the dev form's too) is refused
        token = page.locator("input[name=csrf_token]").first.input_value()
        answer = page.request.post(staff_web.tls_url + "/login/card", form={"csrf_token": token},
                                   headers={"Referer": staff_web.tls_url + "/login"})
        assert answer.status == 403
        assert CARD_REFUSALS[kind] in answer.text()
        page.goto(staff_web.tls_url + "/")
        page.wait_for_url("**/login")
    finally:
        context.close()


def test_staff_of_care_giver_b_cannot_see_care_giver_a(page: Page, staff_web: StaffWebProcess, db: Database) -> None:
    with db.uow() as uow:
        (order,) = [o for o in uow.orders.for_patient(PersonId(PATIENT_A1)) if o.offer_code == "CTNG"][:1]
    dev_login(page, staff_web, "SE2321000255-SSK1", demo.DEMO_STAFF_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Patient").click()
    page.get_by_label("Personnummer eller samordningsnummer").fill(PATIENT_A1)
    page.get_by_role("button", name="Sök patient").click()
    expect(page.get_by_text("Patienten har inga erbjudanden hos vårdgivaren.")).to_be_visible()
    expect(page.get_by_text("Patienten har inga beställningar hos vårdgivaren.")).to_be_visible()
    assert order.referral_id not in page.content()
    check_page(page, "patient-other-care-giver")

    page.get_by_role("navigation").get_by_role("link", name="Provtagning").click()
    page.get_by_label("Personnummer eller remisskod").fill(order.referral_id)
    page.get_by_role("button", name="Sök beställning").click()
    expect(page.get_by_text("Ingen beställning hittades hos vårdgivaren.")).to_be_visible()

    answer = page.goto(f"{staff_web.base_url}/sampling/order/{order.order_id}")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    check_page(page, "error-404")
    # writing to it is refused by the service layer too
    with db.uow() as uow:
        assert uow.orders.get(order.order_id).status.value == "ORDERED"  # type: ignore[union-attr]
