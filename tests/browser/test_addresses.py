"""Where the two webs send a visitor, and the words they share (the acceptance test's findings,
issue 17), against the real servers: after logging in, the staff web goes back only to a page of
its own (over HTTP); in Chromium, an unknown address on the 1177 stand-in is its Swedish 404 page
whether or not the visitor is logged in, and the patient and the desk use the same word for a
cancelled order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from lxml import html
from playwright.sync_api import Browser, Page, expect

from consumers.citizen_web.app import ERRORS
from eph import demo
from tests.support import PlatformProcess

from .citizen import CitizenWebProcess, adult, login, order_home_kit, running_web
from .conftest import StaffWebProcess, check_page, dev_login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NURSE = "SE2321000016-SSK1"


@pytest.fixture(scope="module")
def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
    yield from running_web(demo_platform, Path(tmp_path_factory.mktemp("citizen-web-addresses")))


def _log_in_from(staff_web: StaffWebProcess, target: str) -> str:
    """Open the login page with ``next`` as a link would carry it, log in with the form as the page
    gave it, and say where the answer sends the browser. Over plain HTTP: Chromium itself keeps a
    form's redirect to another site from going (the CSP's form-action), other browsers need not."""
    with requests.Session() as http:
        http.trust_env = False
        page = http.get(f"{staff_web.base_url}/login", params={"next": target}, timeout=10)
        (form,) = [f for f in html.fromstring(page.text).forms if "password" in f.fields]
        fields = {**dict(form.form_values()), "hsa_id": NURSE, "password": demo.DEMO_STAFF_PASSWORD}
        answer = http.post(f"{staff_web.base_url}/login", data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return urljoin(answer.url, answer.headers["Location"])


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example",
                                    "http://evil.example/"])
def test_after_login_the_staff_web_stays_on_its_own_site(staff_web: StaffWebProcess, target: str) -> None:
    landed = _log_in_from(staff_web, target)
    assert urlsplit(landed).netloc == urlsplit(staff_web.base_url).netloc


def test_after_login_the_staff_web_goes_back_to_the_page_asked_for(staff_web: StaffWebProcess) -> None:
    landed = _log_in_from(staff_web, "/patient")
    assert landed == f"{staff_web.base_url}/patient"


@pytest.mark.parametrize("logged_in", [False, True], ids=["not-logged-in", "logged-in"])
def test_an_unknown_address_is_the_swedish_404_page(page: Page, web: CitizenWebProcess, logged_in: bool) -> None:
    if logged_in:
        login(page, web, adult())
    address = f"{web.base_url}/finns-inte/alls"
    answer = page.goto(address)
    assert answer is not None
    assert answer.status == 404
    assert page.url == address  # not sent to the login page
    expect(page.get_by_role("heading", level=1)).to_have_text(ERRORS[404][0])
    check_page(page, f"citizen-404-{'logged-in' if logged_in else 'not-logged-in'}")


def test_the_patient_and_the_desk_use_one_word_for_a_cancelled_order(
    browser: Browser, page: Page, web: CitizenWebProcess, staff_web: StaffWebProcess
) -> None:
    patient = adult()
    login(page, web, patient)
    _, referral = order_home_kit(page, web)
    page.get_by_role("link", name="Avboka beställningen").click()
    page.get_by_role("button", name="Ja, avboka beställningen").click()
    expect(page.locator(".message.success")).to_be_visible()
    patients_word = page.locator("dd.status").inner_text()

    desk = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900})
    try:
        staff = desk.new_page()
        dev_login(staff, staff_web, NURSE, demo.DEMO_STAFF_PASSWORD)
        staff.get_by_role("navigation").get_by_role("link", name="Patient").click()
        staff.get_by_label("Personnummer eller samordningsnummer").fill(f"{patient[:8]}-{patient[8:]}")
        staff.get_by_role("button", name="Sök patient").click()
        order = staff.locator("article.order", has_text=referral)
        desks_word = order.locator("xpath=.//dt[normalize-space()='Status']/following-sibling::dd[1]/strong").inner_text()
    finally:
        desk.close()
    assert desks_word == patients_word
    # the patient reads the staff member's look in Swedish: the staff web by its registered name
    page.goto(web.base_url + "/vem-har-tittat")
    expect(page.locator("main")).to_contain_text("Tjänstens personalwebb")
    expect(page.locator("main")).not_to_contain_text("staff web")
