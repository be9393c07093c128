"""The log review in the browser, end to end: a nurse opens a patient she has no relation to;
the care giver's log reviewer finds the read by searching the log, sees it flagged, marks the
flag reviewed with a note, and exports the search and the flags as CSV. Every page passes
axe-core, and at a phone's width (390 px) nothing scrolls sideways."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from eph import demo
from tests.support import patient

from .conftest import StaffWebProcess, check_page, dev_login, logout

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NURSE = "SE2321000016-SSK1"
REVIEWER = "SE2321000016-LOG1"


def show(number: str) -> str:
    return f"{number[:8]}-{number[8:]}"


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_read_is_found_flagged_reviewed_and_exported(page: Page, staff_web: StaffWebProcess, tmp_path: Path) -> None:
    number = patient(date(1972, 8, 14))["id"]

    # a nurse opens a patient who has nothing at her unit
    dev_login(page, staff_web, NURSE, demo.DEMO_STAFF_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Patient").click()
    page.get_by_label("Personnummer eller samordningsnummer").fill(show(number))
    page.get_by_role("button", name="Sök patient").click()
    logout(page)

    # the log reviewer searches the log by the patient
    dev_login(page, staff_web, REVIEWER, demo.DEMO_STAFF_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Logggranskning").click()
    check_page(page, "log-review")
    page.get_by_label("Patientens personnummer").fill(show(number))
    page.get_by_role("button", name="Sök", exact=True).click()
    # the nurse's read (the reviewer's own look at the log is recorded too: LogReview)
    row = page.get_by_role("row").filter(has_text=show(number)).filter(has_text="PatientView").first
    expect(row).to_contain_text(NURSE)
    check_page(page, "log-review-search")
    assert number not in page.url
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportera sökningen som CSV").click()
    exported = tmp_path / "logg.csv"
    download.value.save_as(exported)
    assert number in exported.read_text(encoding="utf-8-sig")

    # the read is flagged: no relation to the unit
    page.get_by_role("link", name="Kontroller").click()
    page.get_by_label("Kontroll").select_option("NO_RELATION")
    page.get_by_role("button", name="Sök", exact=True).click()
    flag = page.get_by_role("row").filter(has_text=show(number)).first
    expect(flag).to_contain_text("Ingen relation till enheten")
    check_page(page, "log-review-flags")

    # a review without a note is refused in Swedish; with one, the flag shows as reviewed
    flag.get_by_role("button", name="Markera som granskad").click()
    expect(page.locator(".error").first).to_contain_text("Skriv en anteckning om granskningen.")
    flag = page.get_by_role("row").filter(has_text=show(number)).first
    flag.get_by_label("Anteckning").fill("Patienten ringde in, kontrollerat med enhetschefen")
    flag.get_by_role("button", name="Markera som granskad").click()
    expect(page.locator(".message.success")).to_contain_text("Flaggan är markerad som granskad.")
    reviewed = page.get_by_role("row").filter(has_text=show(number)).first
    expect(reviewed).to_contain_text("Granskad")
    expect(reviewed).to_contain_text("kontrollerat med enhetschefen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportera kontrollerna som CSV").click()
    flags_csv = tmp_path / "kontroller.csv"
    download.value.save_as(flags_csv)
    assert "kontrollerat med enhetschefen" in flags_csv.read_text(encoding="utf-8-sig")

    # at a phone's width the page fits
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    check_page(page, "log-review-flags-phone")
    assert no_sideways_scroll(page)
