"""A staff session holds only where it began: on the listener that made it (plain or TLS) and,
on TLS, with the certificate that was shown at login. Plain HTTP against the real staff web
with both listeners, so that each request can send any cookie with any certificate."""

from __future__ import annotations

import http.client
import re
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eph import demo
from tests.certs import CertificateAuthority, Issued
from tests.support import spawn, wait_for_page

from .conftest import StaffWebProcess

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DEV_COOKIE = "eph-staff-dev"
TLS_COOKIE = "__Host-eph-staff"
SARA = "SE2321000016-SSK1"
FREDRIK = "SE2321000016-SSK2"


@dataclass
class Answer:
    status: int
    location: str
    cookies: dict[str, str]
    text: str


def call(web: StaffWebProcess, method: str, path: str, *, card: Issued | None = None, ca: CertificateAuthority | None = None,
         cookies: dict[str, str] | None = None, form: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> Answer:
    """One request on a fresh connection: on the TLS listener when ``card`` is given (shown as
    the client certificate), else on the plain one."""
    if card is not None:
        assert ca is not None
        context = ssl.create_default_context(cafile=str(ca.path))
        context.load_cert_chain(str(card.cert), str(card.key))
        conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", web.tls_port, context=context, timeout=30)
        origin = web.tls_url
    else:
        conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
        origin = web.base_url
    sent = {"Referer": origin + "/login", **(headers or {})}
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        text = response.read().decode()
        got = {}
        for line in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            got[name] = rest.split(";", 1)[0]
        return Answer(response.status, response.headers.get("Location", ""), got, text)
    finally:
        conn.close()


def csrf_token(answer: Answer) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', answer.text)
    assert found, "the login page has a CSRF token"
    return found.group(1)


def dev_login(web: StaffWebProcess, hsa_id: str) -> str:
    """The session token of a password login on the plain listener."""
    page = call(web, "GET", "/login")
    done = call(web, "POST", "/login", cookies={DEV_COOKIE: page.cookies[DEV_COOKIE]},
                form={"csrf_token": csrf_token(page), "hsa_id": hsa_id, "password": demo.DEMO_STAFF_PASSWORD})
    assert done.status == 302
    return done.cookies[DEV_COOKIE]


def card_login(web: StaffWebProcess, ca: CertificateAuthority, card: Issued) -> str:
    """The session token of a card login on the TLS listener."""
    page = call(web, "GET", "/login", card=card, ca=ca)
    done = call(web, "POST", "/login/card", card=card, ca=ca, cookies={TLS_COOKIE: page.cookies[TLS_COOKIE]},
                form={"csrf_token": csrf_token(page)})
    assert done.status == 302
    return done.cookies[TLS_COOKIE]


def start_page(web: StaffWebProcess, cookie: str, token: str, *, card: Issued | None = None,
               ca: CertificateAuthority | None = None, headers: dict[str, str] | None = None) -> int:
    """The start page's status: 200 for a logged-in member, a redirect to the login otherwise."""
    return call(web, "GET", "/", card=card, ca=ca, cookies={cookie: token}, headers=headers).status


@pytest.fixture(scope="module")
def cards(ca: CertificateAuthority) -> dict[str, Issued]:
    return {
        SARA: ca.issue("session-card-ssk1", "Sara Provtagare", serial_number=SARA),
        FREDRIK: ca.issue("session-card-ssk2", "Fredrik Uppföljare", serial_number=FREDRIK),
        "unregistered": ca.issue("session-card-nobody", "Okänd Person", serial_number="SE2321000016-NOBODY2"),
    }


@pytest.fixture(scope="module")
def without_dev_login(staff_web: StaffWebProcess, database_url: str,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffWebProcess]:
    """A second staff web on the same database, with password login off (as in production)."""
    web = StaffWebProcess(database_url, Path(tmp_path_factory.mktemp("staff-web-no-dev")), staff_web.ca)
    env = {"EPH_DATABASE_URL": database_url, "EPH_STAFF_DEV_LOGIN": "0"}
    web.proc, web.log_file = spawn("staff", web.port, env, web.log_path)
    wait_for_page(web.base_url + "/login", "staff web")
    yield web
    web.stop()


@pytest.mark.parametrize("shown", [SARA, FREDRIK, "unregistered"])
def test_a_development_login_is_not_a_session_on_the_tls_listener(
        staff_web: StaffWebProcess, ca: CertificateAuthority, cards: dict[str, Issued], shown: str) -> None:
    token = dev_login(staff_web, SARA)
    assert start_page(staff_web, TLS_COOKIE, token, card=cards[shown], ca=ca) == 302


@pytest.mark.parametrize("cookie, headers", [
    (DEV_COOKIE, {}),
    # as a TLS-terminating proxy on loopback would send it: the secure cookie's name
    (TLS_COOKIE, {"X-Forwarded-Proto": "https"}),
])
def test_a_card_session_is_not_a_session_on_the_plain_listener(
        staff_web: StaffWebProcess, ca: CertificateAuthority, cards: dict[str, Issued],
        cookie: str, headers: dict[str, str]) -> None:
    token = card_login(staff_web, ca, cards[FREDRIK])
    assert start_page(staff_web, cookie, token, headers=headers) == 302


def test_a_card_session_needs_the_certificate_it_began_with(
        staff_web: StaffWebProcess, ca: CertificateAuthority, cards: dict[str, Issued]) -> None:
    token = card_login(staff_web, ca, cards[FREDRIK])
    assert start_page(staff_web, TLS_COOKIE, token, card=cards[SARA], ca=ca) == 302


def test_a_refused_session_is_logged_without_who_it_was(
        staff_web: StaffWebProcess, ca: CertificateAuthority, cards: dict[str, Issued]) -> None:
    token = card_login(staff_web, ca, cards[FREDRIK])
    start_page(staff_web, TLS_COOKIE, token, card=cards[SARA], ca=ca)
    refusals = [line for line in staff_web.log_text().splitlines() if "session refused" in line]
    assert refusals
    assert not [line for line in refusals if FREDRIK in line or SARA in line or token in line]


def test_sessions_hold_where_they_began_also_after_being_shown_elsewhere(
        staff_web: StaffWebProcess, ca: CertificateAuthority, cards: dict[str, Issued]) -> None:
    dev = dev_login(staff_web, SARA)
    card = card_login(staff_web, ca, cards[FREDRIK])
    # each shown where it does not hold: not logged in there, and not ended by it
    start_page(staff_web, TLS_COOKIE, dev, card=cards[SARA], ca=ca)
    start_page(staff_web, DEV_COOKIE, card)
    start_page(staff_web, TLS_COOKIE, card, card=cards[SARA], ca=ca)
    assert start_page(staff_web, DEV_COOKIE, dev) == 200
    assert start_page(staff_web, TLS_COOKIE, card, card=cards[FREDRIK], ca=ca) == 200


def test_a_development_login_does_not_hold_where_password_login_is_off(
        staff_web: StaffWebProcess, without_dev_login: StaffWebProcess) -> None:
    token = dev_login(staff_web, SARA)
    assert start_page(without_dev_login, DEV_COOKIE, token) == 302
    # and the staff web that made it still has it
    assert start_page(staff_web, DEV_COOKIE, token) == 200
