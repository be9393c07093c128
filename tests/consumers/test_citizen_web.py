"""The citizen web's parts that need no browser: the words for the service's and the platform's
refusals, the sealed session cookie, the development login switch, and pages when the platform
cannot be reached or refuses the web (Flask's test client; the platform is a real process)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient

from consumers import LogicalError, ServiceFault, TransportError, VpFault
from consumers.citizen_web import texts
from consumers.citizen_web.app import create_app
from consumers.citizen_web.auth import valid_personnummer
from consumers.citizen_web.config import CitizenWebConfig
from consumers.citizen_web.session import SessionCodec, new_key
from tests.support import ROOT, PlatformProcess, free_port, person_number

PATIENT = "198503172382"


def client(**settings: Any) -> FlaskClient:
    config = CitizenWebConfig(**{"dev_login": True, **settings})
    return create_app(config, session_key=new_key()).test_client()


def log_in(c: FlaskClient, number: str = PATIENT) -> Any:
    page = c.get("/logga-in").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return c.post("/logga-in", data={"csrf_token": match.group(1), "personnummer": number})


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (LogicalError("APPLICATION_ERROR", "EPH004", "the offer does not allow sampling mode HOME_KIT", "l"),
         "Erbjudandet går inte att använda på det sättet. Välj ett annat sätt att lämna provet."),
        (LogicalError("APPLICATION_ERROR", "EPH004", "the patient's age is outside the offer's age limits", "l"),
         "Provet kan inte beställas för din ålder."),
        (LogicalError("APPLICATION_ERROR", "EPH002", "at most 4 orders of this kind in twelve months", "l"),
         "Du har redan beställt det här provet så många gånger som går under ett år."),
        (LogicalError("APPLICATION_ERROR", "EPH004", "something new", "l"),
         "Erbjudandet går inte att använda på det sättet, eller passar inte dig."),
        (LogicalError("APPLICATION_ERROR", "EPH001", "no offer with that offerId for this patient", "l"),
         "Det du valde finns inte längre. Gå tillbaka och försök igen."),
        (LogicalError("VALIDATION_ERROR", None, "a HOME_KIT order needs a deliveryAddress", "l"), texts.VALIDATION),
        (LogicalError("VALIDATION_ERROR", None, "for this patient a home kit is sent only to a pickup point: give "
                      "samplingUnitHSAId (a sampling site of the care giver, where the kit is collected) and no "
                      "deliveryAddress", "l"), texts.PICKUP_ONLY),
        (VpFault("VP009", "Server", "VP009 [eph] Error connecting to service producer", None), texts.UNAVAILABLE),
        (VpFault("VP007", "Server", "VP007 [eph] Authorization missing", "detail"), texts.FAILED),
        (ServiceFault("Server", "the service is temporarily unavailable; try again later"), texts.UNAVAILABLE),
        (TransportError("the platform at http://x cannot be reached"), texts.UNAVAILABLE),
    ],
)
def test_refusals_are_plain_swedish_without_codes(error: Any, expected: str) -> None:
    said = texts.refusal(error)
    assert said == expected
    assert not re.search(r"EPH\d|VP\d|HOME_KIT|logId|[A-Z]{2,}_[A-Z]", said)


def test_values_and_intervals_are_written_the_swedish_way() -> None:
    def bound(v: str, inclusive: bool | None = None) -> Any:
        return SimpleNamespace(value=Decimal(v), unit="mmol/L", inclusive=inclusive)

    assert texts.quantity(SimpleNamespace(value=Decimal("5.20"), unit="mmol/L")) == "5,20 mmol/L"
    assert texts.interval(SimpleNamespace(low=bound("4.0"), high=bound("6"), text=None)) == "4,0–6 mmol/L"
    assert texts.interval(SimpleNamespace(low=None, high=bound("5", False), text=None)) == "under 5 mmol/L"
    assert texts.interval(SimpleNamespace(low=bound("1"), high=None, text="vuxna")) == "lägst 1 mmol/L (vuxna)"
    assert texts.timestamp("20261126101500") == "2026-11-26 10:15"
    # every status a held result can have reads like an order still at the lab
    assert {texts.STATUS[s] for s in ("RECEIVED_BY_LAB", "PRELIMINARY_RESULT", "FINAL_RESULT")} == {texts.NOT_YET}
    assert texts.access("SetResult", "WRITE") == texts.access("SetOrderStatus", "WRITE")
    assert texts.access("FollowUpCase", "READ") == texts.access("PatientView", "READ")
    assert texts.access("SomethingNew", "WRITE") == texts.access("SetResult", "WRITE")


def test_personnummer_is_checked_before_login() -> None:
    assert valid_personnummer("19850317-2382") == PATIENT
    assert valid_personnummer("198503172383") is None  # check digit
    assert valid_personnummer("19850230-0000") is None  # no such day
    samordning = person_number(date(1985, 3, 17), 238, samordning=True)  # the day + 60
    assert valid_personnummer(samordning) == samordning
    assert valid_personnummer("abc") is None


def test_the_session_cookie_is_sealed_and_lapses() -> None:
    codec = SessionCodec(new_key(), idle_seconds=1, lifetime_seconds=3600)
    session = codec.new(PATIENT)
    cookie = codec.dump(session)
    assert PATIENT not in cookie
    loaded = codec.load(cookie)
    assert loaded is not None
    assert loaded.personnummer == PATIENT
    assert loaded.sid == session.sid
    assert codec.load(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) is None
    assert SessionCodec(new_key(), 60, 3600).load(cookie) is None  # another key
    assert codec.csrf_ok(session, codec.csrf_token(session))
    assert not codec.csrf_ok(codec.new(PATIENT), codec.csrf_token(session))
    time.sleep(2.1)
    assert codec.load(cookie) is None  # idle too long
    old = SessionCodec(new_key(), idle_seconds=60, lifetime_seconds=10)
    stale = old.new(PATIENT)
    stale.logged_in_at -= 11
    assert old.load(old.dump(stale)) is None  # logged in too long ago


@pytest.mark.parametrize("dev_login", [False, True])
def test_the_development_login_is_off_unless_turned_on(dev_login: bool) -> None:
    key = new_key()
    config = CitizenWebConfig(dev_login=dev_login)
    c = create_app(config, session_key=key).test_client()
    page = c.get("/logga-in").get_data(as_text=True)
    assert ("Utvecklingsinloggning" in page) is dev_login
    assert "e-legitimation" in page
    assert (re.search(r'name="csrf_token" value="([^"]+)"', page) is not None) is dev_login  # no form when off
    # a well-formed post with a valid token for this browser's session, as a crafted request would be
    cookie = c.get_cookie("eph-1177-dev")
    assert cookie is not None
    codec = SessionCodec(key, config.idle_minutes * 60, config.session_hours * 3600)
    session = codec.load(cookie.value)
    assert session is not None
    answer = c.post("/logga-in", data={"csrf_token": codec.csrf_token(session), "personnummer": PATIENT})
    assert answer.status_code == (302 if dev_login else 404)


def test_an_unreachable_platform_is_a_plain_message() -> None:
    c = client(platform=f"http://127.0.0.1:{free_port()}")
    assert log_in(c).status_code == 302
    answer = c.get("/provsvar")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert texts.UNAVAILABLE in body
    assert "TransportError" not in body
    assert "Traceback" not in body
    assert "127.0.0.1" not in body


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_platform_refusal_is_a_plain_message(demo_platform: PlatformProcess) -> None:
    # a sender the platform has no authorization for: VP007, shown without its code
    c = client(platform=demo_platform.base_url, instance_id=demo_platform.instance_id,
               hsa_id="SE2321000016-NOTREG1")
    log_in(c)
    answer = c.get("/")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert texts.FAILED in body
    assert "VP007" not in body
    assert "Authorization" not in body


def test_the_web_reaches_the_service_only_through_the_platform() -> None:
    # loading the application pulls in none of the service's own code or storage
    probe = (
        "import sys; from consumers.citizen_web.app import create_app; "
        "from consumers.citizen_web.config import CitizenWebConfig; create_app(CitizenWebConfig()); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                                cwd=ROOT).stdout.split())
    assert "consumers" in loaded
    assert "flask" in loaded
    assert loaded.isdisjoint({"service_domain", "producers", "routing", "staff_web", "sqlalchemy", "psycopg", "eph"})
