"""The region's administration on the staff web (REGION_ADMIN): agreements, statistics with a
period, the region's support contact on every page, and the region's catalogue refusing a
private care giver's entry in Swedish."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from eph import demo
from service_domain import services
from service_domain.clock import local_date, utcnow
from service_domain.commands import CallContext
from service_domain.persistence.database import Database
from service_domain.staff import StaffFunction
from staff_web.auth import hash_password
from tests.conftest import seeded
from tests.staff_web.test_app import csrf, login, web_client

REGION_ADMIN = "SE2321000016-RAD1"
PRIVATE_ADMIN = "SE5560000001-ADM1"
PRIVATE_UNIT = "SE5560000001-CU01"
REGION_A = next(r for r in demo.REGIONS if r.hsa_id == demo.CARE_GIVER_A)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('web')) / 'eph.sqlite3'}"))
    operator = CallContext.operator(utcnow())
    services.register_staff(database.uow(), operator, PRIVATE_ADMIN, "Petra Privat", demo.PRIVATE_CARE_GIVER)
    services.grant_functions(database.uow(), operator, PRIVATE_ADMIN, PRIVATE_UNIT, frozenset({StaffFunction.ADMIN}))
    services.set_dev_password(database.uow(), operator, PRIVATE_ADMIN, hash_password(demo.DEMO_STAFF_PASSWORD))
    yield database
    database.dispose()


@pytest.fixture()
def client(db: Database) -> FlaskClient:
    return web_client(db)


def new_care_giver() -> str:
    """An HSA-id of a care giver no test has used (organisation number 5560000001, a fresh local part)."""
    return f"SE5560000001-T{uuid.uuid4().hex[:6].upper()}"


def in_days(days: int) -> str:
    return str(local_date(utcnow()) + timedelta(days=days))


def agree(client: FlaskClient, care_giver: str, first: str | None = None, last: str = "") -> Any:
    return client.post("/region/avtal", data={"csrf_token": csrf(client, "/region"), "care_giver": care_giver,
                                              "valid_from": first or in_days(0), "valid_to": last})


def test_the_region_page_lists_the_private_care_givers_agreement(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert demo.UNIT_NAMES[demo.PRIVATE_CARE_GIVER] in client.get("/region").text


def test_the_region_page_needs_the_region_administrator_function(client: FlaskClient) -> None:
    login(client, "SE2321000016-ADM1")
    assert client.get("/region").status_code == 403


def test_the_menu_shows_the_region_to_its_administrator(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert ">Region</a>" in client.get("/").text


def test_a_region_administrator_adds_an_agreement(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    cg = new_care_giver()
    agree(client, cg)
    assert cg in client.get("/region").text


def test_an_overlapping_agreement_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    cg = new_care_giver()
    agree(client, cg)
    r = agree(client, cg, in_days(30))
    assert "redan ett avtal under en del av perioden" in r.text


def test_an_agreement_reaching_back_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "Ett avtal börjar i dag eller senare" in agree(client, new_care_giver(), in_days(-1)).text


def test_a_refused_agreement_keeps_what_was_typed(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    cg = new_care_giver()
    agree(client, cg)
    assert f'value="{cg}"' in agree(client, cg, in_days(30)).text


def test_an_agreement_with_a_bad_hsa_id_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    r = agree(client, "not-an-id")
    assert r.status_code == 400 and "Ange vårdgivarens HSA-id" in r.text


def test_ending_an_agreement_shows_its_last_day(client: FlaskClient, db: Database) -> None:
    login(client, REGION_ADMIN)
    cg = new_care_giver()
    agree(client, cg)
    (a,) = services.list_agreements(db.uow(), CallContext.operator(utcnow()), care_giver=cg)
    client.post(f"/region/avtal/{a.agreement_id}/avsluta",
                data={"csrf_token": csrf(client, "/region"), "last_day": in_days(60)})
    (ended,) = services.list_agreements(db.uow(), CallContext.operator(utcnow()), care_giver=cg)
    assert str(ended.valid_to) == in_days(60)


def test_the_statistics_of_a_month_name_the_period(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "2026-10-01 – 2026-10-31" in client.get("/region/statistik?manad=2026-10").text


def test_the_statistics_of_months_name_the_whole_months(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "2026-10-01 – 2026-11-30" in client.get("/region/statistik?fran=2026-10&till=2026-11").text


def test_a_period_of_days_is_not_taken(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "Ange både första och sista månad" in client.get("/region/statistik?fran=2026-10-03&till=2026-11-04").text


def test_a_month_that_cannot_be_read_gets_a_swedish_message(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    r = client.get("/region/statistik?manad=oktober")
    assert r.status_code == 400 and "Ange månaden som år och månad" in r.text


def test_a_period_that_ends_before_it_begins_gets_a_swedish_message(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "Sista månaden kan inte ligga före första månaden" in client.get(
        "/region/statistik?fran=2026-11&till=2026-10").text


def test_the_demos_few_orders_are_suppressed(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "&lt;5" in client.get("/region/statistik").text


def test_the_statistics_show_no_personnummer(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    page = client.get("/region/statistik").text
    assert not any(number in page for number in demo.DEMO_PATIENTS.values())


@pytest.mark.parametrize("path", ["/", "/patient", "/sampling"])
def test_every_page_shows_the_regions_support_number(client: FlaskClient, path: str) -> None:
    login(client, "SE2321000016-SSK1")
    assert REGION_A.phone in client.get(path).text  # type: ignore[operator]


def test_a_private_care_givers_staff_see_their_regions_support(client: FlaskClient) -> None:
    login(client, PRIVATE_ADMIN)
    assert REGION_A.email in client.get("/").text  # type: ignore[operator]


def definition(code: str, analysis: str = "NPU27300") -> dict[str, str]:
    return {"offer_code": code, "display_name": "Privat test", "analyses-0-code-code": analysis,
            "analyses-0-display_name": "HbA1c", "sampling_modes": "SITE", "result_release": "IMMEDIATE",
            "validity_days": "30", "max_orders": "1", "performing_lab": demo.LAB_A, "active": "y"}


def save(client: FlaskClient, form: dict[str, str]) -> Any:
    return client.post("/admin/catalogue/new", data={**form, "csrf_token": csrf(client, "/admin/catalogue/new")})


def test_an_offer_code_the_region_does_not_allow_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, PRIVATE_ADMIN)
    r = save(client, definition("PRIVAT1"))
    assert "Regionens sortiment tillåter inte erbjudandekoden PRIVAT1" in r.text


def test_a_refused_entry_keeps_what_was_typed(client: FlaskClient) -> None:
    login(client, PRIVATE_ADMIN)
    assert 'value="Privat test"' in save(client, definition("PRIVAT1")).text


def test_an_analysis_the_region_does_not_allow_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, PRIVATE_ADMIN)
    r = save(client, definition("HBA1C", analysis="NPU99999"))
    assert "Regionens sortiment tillåter inte analysen NPU99999" in r.text


def test_an_entry_the_region_allows_is_saved(client: FlaskClient) -> None:
    login(client, PRIVATE_ADMIN)
    assert save(client, definition("HBA1C")).status_code == 302


def save_region(client: FlaskClient, **fields: str) -> Any:
    form = {"phone": REGION_A.phone or "", "email": REGION_A.email or "",
            "offer_codes": ", ".join(sorted(REGION_A.offer_codes)), "analyses": ", ".join(sorted(REGION_A.analyses))}
    return client.post("/region/uppgifter", data={**form, **fields, "csrf_token": csrf(client, "/region")})


def test_a_region_administrator_changes_the_support_phone(client: FlaskClient, db: Database) -> None:
    login(client, REGION_ADMIN)
    save_region(client, phone="08-999 000 00")
    try:
        assert "08-999 000 00" in client.get("/").text
    finally:
        services.put_region(db.uow(), CallContext.operator(utcnow()), REGION_A)


def test_a_phone_number_that_is_not_one_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    r = save_region(client, phone="ring mig")
    assert r.status_code == 400 and "Skriv telefonnumret med siffror" in r.text


def test_a_refused_region_form_keeps_what_was_typed(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "ring mig" in save_region(client, phone="ring mig").text


def test_a_code_that_cannot_be_one_is_refused_in_swedish(client: FlaskClient) -> None:
    login(client, REGION_ADMIN)
    assert "i en kod: C/D" in save_region(client, offer_codes="CTNG, C/D").text


def test_the_regions_catalogue_is_saved_from_the_web(client: FlaskClient, db: Database) -> None:
    login(client, REGION_ADMIN)
    save_region(client, offer_codes="CTNG\nHBA1C\nNYKOD")
    try:
        view = services.region_view(db.uow(), CallContext.operator(utcnow()), demo.CARE_GIVER_A)
        assert view.region.offer_codes == {"CTNG", "HBA1C", "NYKOD"}
    finally:
        services.put_region(db.uow(), CallContext.operator(utcnow()), REGION_A)
