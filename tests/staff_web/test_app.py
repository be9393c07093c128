"""The staff web's own rules, through Flask's test client over a real database: sessions,
CSRF, throttled logins, headers, function checks, error pages, catalogue administration and
the review queue."""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select, text

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    LaboratoryResult,
    OfferDefinition,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
)
from service_domain.persistence.database import Database
from staff_web.app import CONTENT_SECURITY_POLICY, create_app
from staff_web.auth import hash_password
from staff_web.config import StaffWebConfig
from staff_web.store import digest, web_session
from tests.conftest import seeded
from tests.support import person_number

PASSWORD = demo.DEMO_STAFF_PASSWORD


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('web')) / 'eph.sqlite3'}"))
    yield database
    database.dispose()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def app(db: Database, clock: Clock) -> Any:
    application = create_app(db, replace(StaffWebConfig(), dev_login=True), clock)
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app: Any) -> FlaskClient:
    return app.test_client()


def web_client(db: Database) -> FlaskClient:
    """A test client of the staff web over ``db``, with the development login on."""
    application = create_app(db, replace(StaffWebConfig(), dev_login=True))
    application.config["TESTING"] = True
    return application.test_client()


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text[:500]
    return m.group(1)


def login(client: FlaskClient, hsa_id: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"csrf_token": csrf(client, "/login"), "hsa_id": hsa_id, "password": password})


def test_headers_and_the_development_cookie(client: FlaskClient) -> None:
    r = client.get("/login")
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("eph-staff-dev=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP: development only
    secure = client.get("/login", base_url="https://localhost")
    cookie = secure.headers["Set-Cookie"]
    assert cookie.startswith("__Host-eph-staff=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert secure.headers["Strict-Transport-Security"]


def test_every_form_needs_its_csrf_token(client: FlaskClient) -> None:
    r = client.post("/login", data={"hsa_id": "SE2321000016-SSK1", "password": PASSWORD})
    assert r.status_code == 400
    assert "Formuläret har gått ut" in r.text
    assert login(client, "SE2321000016-SSK1").status_code == 302
    r = client.post("/patient", data={"number": "198503172382"})
    assert r.status_code == 400
    assert "Formuläret har gått ut" in r.text


def test_the_development_login_is_off_unless_turned_on(db: Database) -> None:
    app = create_app(db, StaffWebConfig())
    app.config["WTF_CSRF_ENABLED"] = False  # this test is about the switch, not the token
    client = app.test_client()
    page = client.get("/login")
    assert "Utvecklingsinloggning" not in page.text
    assert 'type="password"' not in page.text
    r = client.post("/login", data={"hsa_id": "SE2321000016-SSK1", "password": PASSWORD})
    assert r.status_code == 404


def test_idle_sessions_end_and_logging_out_ends_the_session_for_good(client: FlaskClient, clock: Clock, db: Database) -> None:
    assert login(client, "SE2321000016-SSK1").status_code == 302
    assert client.get("/").status_code == 200
    clock.offset = timedelta(minutes=14)
    assert client.get("/").status_code == 200  # each request starts the idle time anew
    clock.offset = timedelta(minutes=14 + 16)
    r = client.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")

    assert login(client, "SE2321000016-SSK1").status_code == 302
    token = client.get_cookie("eph-staff-dev")
    assert token is not None
    stolen = token.value
    r = client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert r.status_code == 302
    other = client.application.test_client()
    other.set_cookie("eph-staff-dev", stolen)
    assert other.get("/").headers["Location"].startswith("/login")
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(web_session).where(
            web_session.c.id == digest(stolen))).scalar_one() == 0


def test_a_login_form_left_open_past_the_idle_timeout_has_gone_out(client: FlaskClient, clock: Clock) -> None:
    token = csrf(client, "/login")  # the anonymous session, in the signed cookie
    clock.offset = timedelta(minutes=16)
    r = client.post("/login", data={"csrf_token": token, "hsa_id": "SE2321000016-SSK1", "password": PASSWORD})
    assert r.status_code == 400
    assert "Formuläret har gått ut" in r.text


def test_an_anonymous_cookie_never_logs_anyone_in(client: FlaskClient, app: Any) -> None:
    forged = URLSafeSerializer(app.secret_key, salt="eph-staff-anonymous-session").dumps(
        {"d": {"staff": "SE2321000016-ADM1", "unit": demo.CARE_UNIT_A}, "t": int(utcnow().timestamp())})
    client.set_cookie("eph-staff-dev", forged)  # signed with the staff web's own key, even
    r = client.get("/")
    assert r.headers["Location"].startswith("/login")


def test_failed_logins_are_throttled(client: FlaskClient, db: Database) -> None:
    account = f"SE2321000016-L{uuid.uuid4().hex[:6].upper()}"
    services.register_staff(db.uow(), CallContext.operator(utcnow()), account, "Låst Person", demo.CARE_GIVER_A)
    services.grant_functions(db.uow(), CallContext.operator(utcnow()), account, demo.CARE_UNIT_A, ["SAMPLING"])
    services.set_dev_password(db.uow(), CallContext.operator(utcnow()), account, hash_password(PASSWORD))
    for _ in range(5):
        assert login(client, account, "wrong password").status_code == 401
    r = login(client, account)  # the right password, too late
    assert r.status_code == 429
    assert "För många misslyckade inloggningar" in r.text
    assert login(client, "SE2321000016-ADM1").status_code == 302  # another account is not held up


def test_functions_are_checked_on_every_page(client: FlaskClient) -> None:
    assert client.get("/patient").headers["Location"].startswith("/login")
    login(client, "SE2321000016-SSK1")  # ASSIGN and SAMPLING
    assert client.get("/patient").status_code == 200
    assert client.get("/sampling").status_code == 200
    for path in ("/followup", "/review", "/admin/staff", "/admin/catalogue"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "Ingen behörighet" in r.text, path


def test_errors_are_swedish_pages_and_the_log_holds_no_data(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    login(client, "SE2321000016-SSK1")
    client.post("/patient", data={"csrf_token": csrf(client, "/patient"), "number": demo.DEMO_PATIENTS["A1"]})

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"failed for {demo.DEMO_PATIENTS['A1']}")

    monkeypatch.setattr(services, "patient_view", broken)
    with caplog.at_level(logging.INFO):
        r = client.get("/patient")
    assert r.status_code == 500
    assert "Något gick fel" in r.text
    assert "Traceback" not in r.text
    assert "RuntimeError" in caplog.text
    assert demo.DEMO_PATIENTS["A1"] not in caplog.text
    assert client.get("/no/such/page").status_code == 404
    r = client.post("/patient", data={"csrf_token": csrf(client, "/sampling"), "number": "19850317-2383"})
    assert r.status_code == 400
    assert "inte ett giltigt personnummer" in r.text


def test_catalogue_administration(client: FlaskClient) -> None:
    login(client, "SE2321000016-ADM1")
    code = f"T{uuid.uuid4().hex[:6].upper()}"
    form = {
        "offer_code": code, "display_name": "Testerbjudande",
        "analyses-0-code-code": "NPU27300", "analyses-0-display_name": "HbA1c",
        "sampling_modes": "SITE", "result_release": "AFTER_REVIEW", "validity_days": "0", "max_orders": "1",
        "performing_lab": demo.LAB_A, "active": "y",
    }
    r = client.post("/admin/catalogue/new", data={**form, "csrf_token": csrf(client, "/admin/catalogue/new")})
    assert r.status_code == 400
    assert "Ange ett heltal från 1 till 3650" in r.text
    r = client.post("/admin/catalogue/new", data={**form, "validity_days": "30",
                                                  "csrf_token": csrf(client, "/admin/catalogue/new")})
    assert r.status_code == 302
    listing = client.get("/admin/catalogue").text
    assert code in listing
    assert "Testerbjudande" in listing
    r = client.post(f"/admin/catalogue/{code}/active", data={"csrf_token": csrf(client, "/admin/catalogue")})
    assert r.status_code == 302
    exported = yaml.safe_load(client.get("/admin/catalogue/export").text)
    entry = next(e for e in exported["offerDefinitions"] if e["offerCode"] == code)
    assert entry["active"] is False
    assert {e["careGiverHSAId"] for e in exported["offerDefinitions"]} == {demo.CARE_GIVER_A}
    foreign = {"offerDefinitions": [dict(entry, careGiverHSAId=demo.CARE_GIVER_B)]}
    r = client.post("/admin/catalogue/import", data={
        "csrf_token": csrf(client, "/admin/catalogue"),
        "document": (io.BytesIO(yaml.safe_dump(foreign).encode()), "sortiment.yaml"),
    }, content_type="multipart/form-data")
    assert r.status_code == 400
    assert "hör till en annan vårdgivare" in r.text
    entry["active"] = True
    r = client.post("/admin/catalogue/import", data={
        "csrf_token": csrf(client, "/admin/catalogue"),
        "document": (io.BytesIO(yaml.safe_dump({"offerDefinitions": [entry]}).encode()), "sortiment.yaml"),
    }, content_type="multipart/form-data")
    assert r.status_code == 302
    assert "0 nya erbjudanden, 1 ändrat," in client.get("/admin/catalogue").text


def test_results_held_for_review_are_released_from_the_review_queue(client: FlaskClient, db: Database) -> None:
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), [OfferDefinition(
        demo.CARE_GIVER_A, "REVIEWED", "Granskat prov", (demo.HBA1C,), (SamplingMode.SITE,), False,
        ResultRelease.AFTER_REVIEW, 30, 1, demo.LAB_A)])
    p = PersonId(person_number(datetime(1980, 2, 2).date()))
    offer = services.assign_offer(db.uow(), commands.CallContext("x", demo.EHR_A, utcnow()),
                                  commands.AssignOffer(p, "REVIEWED", demo.CARE_GIVER_A, demo.CARE_UNIT_A,
                                                       Actor(ActorKind.STAFF, "SE2321000016-ST01")))
    order = services.create_order(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                                  commands.CreateOrder(offer.offer_id or "", p, SamplingMode.SITE))
    services.set_result(db.uow(), commands.CallContext("x", demo.LAB_A, utcnow()), commands.SetResult(
        LaboratoryResult(order.order_id or "", demo.LAB_A, 1, ReportStatus.FINAL, utcnow() - timedelta(minutes=1), (
            AnalysisResult(demo.HBA1C.code, Quantity("48", "mmol/mol"), AnalysisStatus.FINAL),
        ))))
    login(client, "SE2321000016-SSK2")
    queue = client.get("/review").text
    assert order.referral_id in queue
    assert p.id not in queue
    assert p.id[:8] not in queue
    page = client.get(f"/review/{order.order_id}").text
    assert "48 mmol/mol" in page
    assert "Inte släppt till patienten" in page
    r = client.post(f"/review/{order.order_id}/release", data={"csrf_token": csrf(client, f"/review/{order.order_id}")})
    assert r.status_code == 302
    assert order.referral_id not in client.get("/review").text
    citizen = services.get_results(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                                   commands.GetResults(p))
    assert citizen[0].released_to_patient


def test_the_header_names_the_unit_by_its_registered_name(client: FlaskClient) -> None:
    login(client, "SE2321000016-SSK1")
    assert f'<span class="unit">{demo.UNIT_NAMES[demo.CARE_UNIT_A]}</span>' in client.get("/").text


def test_a_unit_without_a_registered_name_is_shown_by_its_hsa_id(client: FlaskClient, db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM unit_name"))
    try:
        login(client, "SE2321000016-SSK1")
        assert f'<span class="unit">Vårdenhet {demo.CARE_UNIT_A}</span>' in client.get("/").text
    finally:
        services.register_unit_names(db.uow(), demo.UNIT_NAMES)


def test_the_start_page_names_the_care_giver_by_its_registered_name(client: FlaskClient) -> None:
    login(client, "SE2321000016-SSK1")
    assert f"hos {demo.UNIT_NAMES[demo.CARE_GIVER_A]}." in client.get("/").text
