"""The log review page through Flask's test client over a real database: only a log reviewer
sees it; the filters are kept in the session (never in the address); a bad filter is refused in
Swedish with what was typed kept; a flag is marked reviewed; the exports are CSV."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from eph import demo
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.persistence.database import Database
from service_domain.staff import StaffActing
from staff_web.app import create_app
from staff_web.config import StaffWebConfig
from tests.conftest import seeded
from tests.support import person_number

from .test_app import csrf, login

REVIEWER = "SE2321000016-LOG1"
NURSE = "SE2321000016-SSK1"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('web')) / 'eph.sqlite3'}"))
    yield database
    database.dispose()


@pytest.fixture()
def client(db: Database) -> FlaskClient:
    app = create_app(db, replace(StaffWebConfig(), dev_login=True))
    app.config["TESTING"] = True
    return app.test_client()


def viewed_patient(db: Database) -> str:
    """A patient the demo nurse opened just now (no offer at the unit: flagged)."""
    patient = person_number(date(1970, 5, 5))
    ctx = CallContext(str(uuid.uuid4()), demo.STAFF_WEB, utcnow(), staff=StaffActing(NURSE, demo.CARE_UNIT_A))
    services.patient_view(db.uow(), ctx, PersonId(patient))
    return patient


def search(client: FlaskClient, tab: str = "search", **filters: str) -> Any:
    return client.post("/logg", data={"csrf_token": csrf(client, "/logg"), "tab": tab, **filters})


def test_only_a_log_reviewer_sees_the_page(client: FlaskClient) -> None:
    login(client, NURSE)
    assert client.get("/logg").status_code == 403


def test_the_filters_stay_out_of_the_address(client: FlaskClient, db: Database) -> None:
    patient = viewed_patient(db)
    login(client, REVIEWER)
    answer = search(client, patient=patient)
    assert patient not in answer.headers["Location"]


def test_a_search_by_patient_shows_the_read(client: FlaskClient, db: Database) -> None:
    patient = viewed_patient(db)
    login(client, REVIEWER)
    search(client, patient=patient[:8] + "-" + patient[8:])
    assert f"{patient[:8]}-{patient[8:]}" in client.get("/logg").text


def test_a_bad_date_is_refused_in_swedish_and_keeps_what_was_typed(client: FlaskClient) -> None:
    login(client, REVIEWER)
    answer = search(client, staff="SE2321000016-SSK1", start="igår")
    assert (answer.status_code, "Skriv datumet som ÅÅÅÅ-MM-DD." in answer.text, 'value="SE2321000016-SSK1"' in answer.text) \
        == (400, True, True)


def test_a_period_the_checks_cannot_take_is_explained(client: FlaskClient) -> None:
    login(client, REVIEWER)
    search(client, tab="flags", start="2026-01-01", end="2026-03-31")
    answer = client.get("/logg/kontroller")
    assert "högst 31 dagar åt gången" in answer.text


def test_without_the_register_the_page_says_the_namesakes_are_not_checked(client: FlaskClient) -> None:
    login(client, REVIEWER)
    assert "Kontrollen av namnar är inte gjord" in client.get("/logg/kontroller").text


def test_a_flag_marked_reviewed_shows_as_reviewed(client: FlaskClient, db: Database) -> None:
    patient = viewed_patient(db)
    login(client, REVIEWER)
    search(client, tab="flags", patient=patient, rule="NO_RELATION")
    page = client.get("/logg/kontroller").text
    record_id = re.search(r'name="record_id" value="(\d+)"', page)
    assert record_id
    client.post("/logg/kontroller/granska", data={"csrf_token": csrf(client, "/logg/kontroller"), "rule": "NO_RELATION",
                                                  "record_id": record_id.group(1), "note": "Ringde patienten"})
    assert "Ringde patienten" in client.get("/logg/kontroller").text


def test_a_review_without_a_note_is_refused_in_swedish(client: FlaskClient, db: Database) -> None:
    patient = viewed_patient(db)
    login(client, REVIEWER)
    search(client, tab="flags", patient=patient, rule="NO_RELATION")
    record_id = re.search(r'name="record_id" value="(\d+)"', client.get("/logg/kontroller").text)
    assert record_id
    answer = client.post("/logg/kontroller/granska", data={
        "csrf_token": csrf(client, "/logg/kontroller"), "rule": "NO_RELATION", "record_id": record_id.group(1), "note": ""})
    assert (answer.status_code, "Skriv en anteckning om granskningen." in answer.text) == (400, True)


def test_the_export_is_csv_with_the_patient(client: FlaskClient, db: Database) -> None:
    patient = viewed_patient(db)
    login(client, REVIEWER)
    search(client, patient=patient)
    answer = client.get("/logg/export.csv")
    lines = answer.get_data(as_text=True).splitlines()
    assert (answer.mimetype, lines[0].lstrip("\ufeff").split(";")[:2], lines[1].split(";")[1]) == (
        "text/csv", ["Tid", "Patient"], patient)


def test_the_flags_export_names_the_check(client: FlaskClient, db: Database) -> None:
    patient = viewed_patient(db)
    login(client, REVIEWER)
    search(client, tab="flags", patient=patient, rule="NO_RELATION")
    text = client.get("/logg/kontroller/export.csv").get_data(as_text=True)
    assert "Ingen relation till enheten" in text


def test_an_admin_registers_a_number_that_is_never_shown(client: FlaskClient, db: Database) -> None:
    number = person_number(date(1981, 1, 1))
    login(client, "SE2321000016-ADM1")
    token = csrf(client, f"/admin/staff/{NURSE}")
    client.post(f"/admin/staff/{NURSE}/person-id", data={"csrf_token": token, "number": number, "submit": "1"})
    page = client.get(f"/admin/staff/{NURSE}").text
    member = services.find_staff_member(db.uow(), NURSE)
    assert (member is not None and member.person_id == number, "Ett personnummer är registrerat." in page,
            number in page) == (True, True, False)


def test_a_bad_number_is_refused_in_swedish_and_kept(client: FlaskClient) -> None:
    valid = person_number(date(1981, 1, 2))
    wrong = f"{valid[:8]}-{valid[8:11]}{(int(valid[11]) + 1) % 10}"  # the check digit off by one
    login(client, "SE2321000016-ADM1")
    token = csrf(client, f"/admin/staff/{NURSE}")
    answer = client.post(f"/admin/staff/{NURSE}/person-id", data={"csrf_token": token, "number": wrong, "submit": "1"})
    assert (answer.status_code, "inte ett giltigt personnummer" in answer.text, f'value="{wrong}"' in answer.text) \
        == (400, True, True)
