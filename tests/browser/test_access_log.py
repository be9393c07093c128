"""The patient's access log in the 1177 stand-in, against the real platform, service and both
webs (the acceptance test's findings, issue 17): a staff member's save at the sampling desk or
of a typed result is one entry, not a read and a change; care givers and units are named where the register of
names or of sampling sites knows them; the page is Swedish throughout (also on a database seeded when the demo systems had
English names), counts in the singular and the plural, and comes in pages of twenty with links
between them, on a desktop and a 390 px phone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from consumers import CitizenService, EhrSystem, SamplingSystem
from consumers.citizen_web.app import LOG_PAGE
from consumers.roles import actor
from contracts.operations import Operation
from eph import demo
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.persistence.database import Database
from service_domain.staff import StaffFunction
from staff_web.auth import hash_password
from tests.support import ROOT, PlatformProcess

from .citizen import (
    CitizenWebProcess,
    adult,
    connection,
    login,
    no_horizontal_scroll,
    phone_context,
    running_web,
    shot,
)
from .conftest import StaffWebProcess, dev_login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# a staff member who works at a sampling site, a unit the register of sampling sites names
SITE_NURSE = "SE2321000016-SSK9"
PASSWORD = "provtagning-9"
STAFF_WEB_NAME = next(s.name for s in demo.SYSTEMS if s.hsa_id == demo.STAFF_WEB)
SYSTEMS_REMEMBERED = 6  # seconds: a server process remembers a connected system for 5
MORE = 5  # entries past the first page of the busy patient's log
SITE_NAME = next(s.name for s in demo.SITES if s.hsa_id == demo.SITE_A_CENTRE)


@pytest.fixture(scope="module")
def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
    yield from running_web(demo_platform, Path(tmp_path_factory.mktemp("citizen-web-log")))


@pytest.fixture(scope="module")
def desk_save(browser: Browser, db: Database, demo_platform: PlatformProcess,
              staff_web: StaffWebProcess) -> tuple[str, list[str]]:
    """A patient's site order, sampled at the desk by the site's nurse in the staff web: the
    patient, and the staff web's pages (method and path) that the nurse's browser loaded for it."""
    operator = CallContext.operator(utcnow())
    if services.find_staff_member(db.uow(), SITE_NURSE) is None:
        services.register_staff(db.uow(), operator, SITE_NURSE, "Petra Platsson", demo.CARE_GIVER_A)
        services.grant_functions(db.uow(), operator, SITE_NURSE, demo.SITE_A_CENTRE,
                                 frozenset({StaffFunction.SAMPLING}))
        services.set_dev_password(db.uow(), operator, SITE_NURSE, hash_password(PASSWORD))
    patient = adult()
    citizen = CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE))
    order_id = citizen.order_site_sampling(None, patient, demo.SITE_A_CENTRE, care_giver=demo.CARE_GIVER_A,
                                           offer_code="CTNG").orderId
    desk = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900})
    loaded: list[str] = []
    try:
        staff = desk.new_page()
        dev_login(staff, staff_web, SITE_NURSE, PASSWORD)
        staff.on("request", lambda r: loaded.append(f"{r.method} {r.url}")
                 if r.resource_type == "document" and order_id in r.url else None)
        staff.goto(f"{staff_web.base_url}/sampling/order/{order_id}")
        staff.get_by_label("Streckkod").fill("LOG-" + order_id[:8])
        staff.get_by_role("button", name="Registrera provet").click()
        staff.wait_for_url(f"**/sampling/order/{order_id}/label")
    finally:
        desk.close()
    return patient, loaded


@pytest.fixture(scope="module")
def typed_result(browser: Browser, demo_platform: PlatformProcess, staff_web: StaffWebProcess) -> tuple[str, list[str]]:
    """A result typed in on the staff web for an order whose lab is not connected: the patient,
    and the staff web's pages (method and path) that the member's browser loaded for the order."""
    patient = adult()
    ehr = EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    offer_id = ehr.assign(patient, "CTNG", actor("STAFF", "SE2321000016-SSK1")).offerId
    citizen = CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE))
    order_id = citizen.order_site_sampling(offer_id, patient, performing_lab=demo.LAB_A3).orderId
    SamplingSystem(connection(demo_platform, demo.SAMPLING_A)).register_collected(order_id, "LOG-" + order_id[:8])
    desk = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900})
    loaded: list[str] = []
    try:
        staff = desk.new_page()
        dev_login(staff, staff_web, "SE2321000016-SSK2", demo.DEMO_STAFF_PASSWORD)  # RESULTS at care unit A
        staff.on("request", lambda r: loaded.append(f"{r.method} {r.url}")
                 if r.resource_type == "document" and order_id in r.url else None)
        staff.goto(f"{staff_web.base_url}/results/{order_id}")
        for name in ("Klamydia", "Gonorré"):
            group = staff.get_by_role("group", name=name)
            group.get_by_label("Fynd", exact=True).select_option(label="Ej påvisad")
            group.get_by_label("Bedömning").select_option(label="Negativt")
        staff.get_by_role("button", name="Spara svaret (version 1)").click()
        expect(staff.locator(".message.success")).to_contain_text("Version 1 är sparad")
    finally:
        desk.close()
    return patient, loaded


def staff_entries(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("ol.log > li", has_text=STAFF_WEB_NAME).all_inner_texts()]


def open_log(page: Page, web: CitizenWebProcess, patient: str) -> None:
    login(page, web, patient)
    page.get_by_role("link", name="Vem har tittat på mina uppgifter").click()


# ------------------------------------------------------------------ one entry per event


def test_a_save_at_the_desk_is_one_change(page: Page, web: CitizenWebProcess,
                                          desk_save: tuple[str, list[str]]) -> None:
    patient, loaded = desk_save
    open_log(page, web, patient)
    saves = [r for r in loaded if r.startswith("POST ")]
    assert len([e for e in staff_entries(page) if "Ändring" in e]) == len(saves)


def test_each_page_the_staff_member_loaded_is_one_entry(page: Page, web: CitizenWebProcess,
                                                        desk_save: tuple[str, list[str]]) -> None:
    patient, loaded = desk_save
    open_log(page, web, patient)
    assert len(staff_entries(page)) == len(loaded)


def test_each_page_of_typing_a_result_is_one_entry(page: Page, web: CitizenWebProcess,
                                                   typed_result: tuple[str, list[str]]) -> None:
    patient, loaded = typed_result
    open_log(page, web, patient)
    assert len(staff_entries(page)) == len(loaded)


def test_the_care_unit_is_named_from_the_register_of_sampling_sites(
        page: Page, web: CitizenWebProcess, desk_save: tuple[str, list[str]]) -> None:
    patient, _ = desk_save
    open_log(page, web, patient)
    expect(page.locator("ol.log > li", has_text="Ändring").first).to_contain_text(SITE_NAME)


def test_the_care_giver_is_named_from_the_register_of_names(
        page: Page, web: CitizenWebProcess, desk_save: tuple[str, list[str]]) -> None:
    patient, _ = desk_save
    open_log(page, web, patient)
    expect(page.locator("ol.log > li", has_text="Ändring").first).to_contain_text(demo.UNIT_NAMES[demo.CARE_GIVER_A])


def test_a_staff_members_care_unit_is_named_from_the_register_of_names(
        browser: Browser, page: Page, web: CitizenWebProcess, staff_web: StaffWebProcess,
        demo_platform: PlatformProcess) -> None:
    patient = adult()
    CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE)).order_site_sampling(
        None, patient, demo.SITE_A_CENTRE, care_giver=demo.CARE_GIVER_A, offer_code="CTNG")
    desk = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900})
    try:
        staff = desk.new_page()
        dev_login(staff, staff_web, "SE2321000016-SSK1", demo.DEMO_STAFF_PASSWORD)  # at the demo's care unit A
        staff.goto(staff_web.base_url + "/patient")
        staff.get_by_label("Personnummer eller samordningsnummer").fill(f"{patient[:8]}-{patient[8:]}")
        staff.get_by_role("button", name="Sök patient").click()
        expect(staff.locator("article.order")).to_have_count(1)
    finally:
        desk.close()
    open_log(page, web, patient)
    expect(page.locator("ol.log > li", has_text=STAFF_WEB_NAME).first).to_contain_text(
        demo.UNIT_NAMES[demo.CARE_UNIT_A])


def test_a_named_care_unit_is_not_shown_as_its_hsa_id(
        page: Page, web: CitizenWebProcess, desk_save: tuple[str, list[str]]) -> None:
    patient, _ = desk_save
    open_log(page, web, patient)
    expect(page.locator("main")).not_to_contain_text(demo.SITE_A_CENTRE)


def test_no_english_on_the_page(page: Page, web: CitizenWebProcess, desk_save: tuple[str, list[str]]) -> None:
    patient, _ = desk_save
    open_log(page, web, patient)
    page.get_by_role("link", name="Visa dem också").click()
    text = page.locator("main").inner_text()
    codes = [*(o.value for o in Operation), "READ", "WRITE", "STAFF", "SYSTEM", "PATIENT", "staff", "web", "The "]
    assert [c for c in codes if re.search(rf"\b{re.escape(c)}", text)] == []


def test_a_database_seeded_with_the_former_english_names_gets_the_swedish_ones(
        page: Page, web: CitizenWebProcess, db: Database, database_url: str,
        desk_save: tuple[str, list[str]]) -> None:
    patient, _ = desk_save
    system = next(s for s in demo.SYSTEMS if s.hsa_id == demo.STAFF_WEB)
    services.register_systems(db.uow(), [replace(system, name=demo.FORMER_NAMES[demo.STAFF_WEB])])
    try:
        # what `make serve` runs on a database that already holds data
        subprocess.run([sys.executable, "-m", "eph", "seed-demo", "--if-empty"], cwd=ROOT, check=True,
                       env={**os.environ, "EPH_DATABASE_URL": database_url}, capture_output=True, timeout=120)
        time.sleep(SYSTEMS_REMEMBERED)
        open_log(page, web, patient)
        text = page.locator("main").inner_text()
    finally:
        services.register_systems(db.uow(), [system])
        time.sleep(SYSTEMS_REMEMBERED)
    assert demo.FORMER_NAMES[demo.STAFF_WEB] not in text


# ------------------------------------------------------------------ counted words


def test_one_read_is_counted_in_the_singular(page: Page, web: CitizenWebProcess) -> None:
    login(page, web, adult())  # the start page reads the patient's offers: one read by 1177
    page.get_by_role("link", name="Vem har tittat på mina uppgifter").click()
    expect(page.locator("main")).to_contain_text("1 läsning som 1177 gjorde")


def test_more_reads_are_counted_in_the_plural(page: Page, web: CitizenWebProcess) -> None:
    login(page, web, adult())
    page.get_by_role("link", name="Vem har tittat på mina uppgifter").click()
    page.reload()  # reading the log was a read as well
    count = re.search(r"(\d+) (\w+) som 1177 gjorde", page.locator("main").inner_text())
    assert count is not None
    assert int(count[1]) > 1
    assert count[2] == "läsningar"


def test_an_offer_of_one_order_is_counted_in_the_singular(page: Page, web: CitizenWebProcess,
                                                          demo_platform: PlatformProcess) -> None:
    patient = adult()
    ehr = EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    ehr.assign(patient, "CTNG", actor("STAFF", "SE2321000016-SSK1"), max_orders=1)
    login(page, web, patient)
    expect(page.locator("li.card", has_text="Gäller till")).to_contain_text("0 av 1 beställning gjord")


# ------------------------------------------------------------------ pages


@pytest.fixture(scope="module")
def busy_patient(demo_platform: PlatformProcess) -> str:
    """A patient whose offers the journal system read more times than one page of the log holds."""
    patient = adult()
    ehr = EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    for _ in range(LOG_PAGE + MORE):
        ehr.offers(patient)
    return patient


def test_the_first_page_holds_one_page_of_entries(page: Page, web: CitizenWebProcess, busy_patient: str) -> None:
    open_log(page, web, busy_patient)
    expect(page.locator("ol.log > li")).to_have_count(LOG_PAGE)


def test_the_next_page_holds_the_rest(page: Page, web: CitizenWebProcess, busy_patient: str) -> None:
    open_log(page, web, busy_patient)
    page.get_by_role("navigation", name="Sidor i loggen").get_by_role("link", name="Nästa").click()
    expect(page.locator("ol.log > li")).to_have_count(MORE)


def test_the_previous_link_goes_back(page: Page, web: CitizenWebProcess, busy_patient: str) -> None:
    open_log(page, web, busy_patient)
    pages = page.get_by_role("navigation", name="Sidor i loggen")
    pages.get_by_role("link", name="Nästa").click()
    page.get_by_role("navigation", name="Sidor i loggen").get_by_role("link", name="Föregående").click()
    expect(page.locator("ol.log > li")).to_have_count(LOG_PAGE)


def test_a_page_beyond_the_last_is_not_found(page: Page, web: CitizenWebProcess, busy_patient: str) -> None:
    login(page, web, busy_patient)
    answer = page.goto(web.base_url + "/vem-har-tittat?sida=99")
    assert answer is not None
    assert answer.status == 404


def test_the_paged_log_on_a_phone(browser: Browser, web: CitizenWebProcess, busy_patient: str) -> None:
    phone = phone_context(browser)
    try:
        small = phone.new_page()
        open_log(small, web, busy_patient)
        small.get_by_role("link", name="Nästa").click()
        shot(small, "phone-access-log-page-2")  # axe-core: no serious violations
        no_horizontal_scroll(small, "access log, page 2")
    finally:
        phone.close()
