"""The page of notices (Aviseringar) in the 1177 stand-in, in Chromium against the real platform
and service: the patient finds it from the start page, chooses SMS, reads the choice back,
meets a plain Swedish error for an e-mail address that will not do, and turns notices off; on a
desktop and on a 390 px phone (axe-core on every page, no sideways scrolling)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from consumers.citizen_web import texts
from tests.support import PlatformProcess

from .citizen import CitizenWebProcess, adult, login, no_horizontal_scroll, phone_context, running_web, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
    yield from running_web(demo_platform, Path(tmp_path_factory.mktemp("citizen-web-notices")))


def notices_page(page: Page, web: CitizenWebProcess, name: str) -> Page:
    login(page, web, adult())
    page.get_by_role("link", name="Välj aviseringar").click()
    page.wait_for_url(web.base_url + "/aviseringar")
    shot(page, name)
    return page


def test_the_patient_finds_that_no_notices_are_chosen(page: Page, web: CitizenWebProcess) -> None:
    notices_page(page, web, "notices-none")
    expect(page.locator("#current")).to_have_text(texts.NOTICES_OFF)


def test_the_menu_marks_the_page(page: Page, web: CitizenWebProcess) -> None:
    notices_page(page, web, "notices-menu")
    expect(page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Aviseringar")).to_have_attribute(
        "aria-current", "page")


def test_choosing_sms_is_saved_and_shown(page: Page, web: CitizenWebProcess) -> None:
    notices_page(page, web, "notices-before-sms")
    page.get_by_label("Sms").check()
    page.get_by_label("Mobilnummer").fill("070-123 45 67")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url("**/aviseringar?klart=sparat")
    shot(page, "notices-sms-saved")
    expect(page.locator("#current")).to_have_text("Du får aviseringar med sms till 070-123 45 67.")


def test_a_bad_e_mail_address_is_named_in_swedish(page: Page, web: CitizenWebProcess) -> None:
    notices_page(page, web, "notices-before-bad-email")
    page.get_by_label("E-post", exact=True).check()
    page.get_by_label("E-postadress").fill("tolvan@example")
    page.get_by_role("button", name="Spara").click()
    shot(page, "notices-bad-email")
    expect(page.locator("#email-error")).to_have_text(texts.NOTICE_ERRORS["email"])


def test_notices_can_be_turned_off(page: Page, web: CitizenWebProcess) -> None:
    notices_page(page, web, "notices-before-off")
    page.get_by_label("E-post", exact=True).check()
    page.get_by_label("E-postadress").fill("tolvan@example.se")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url("**/aviseringar?klart=sparat")
    page.get_by_label("Inga aviseringar").check()
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url("**/aviseringar?klart=av")
    shot(page, "notices-off")
    expect(page.locator("#current")).to_have_text(texts.NOTICES_OFF)


def test_the_page_fits_a_phone(browser: Browser, web: CitizenWebProcess) -> None:
    context = phone_context(browser)
    page = context.new_page()
    try:
        notices_page(page, web, "notices-phone")
        page.get_by_label("Sms").check()
        page.get_by_label("Mobilnummer").fill("0701234567")
        page.get_by_role("button", name="Spara").click()
        page.wait_for_url("**/aviseringar?klart=sparat")
        shot(page, "notices-phone-saved")
        no_horizontal_scroll(page, "notices")
    finally:
        context.close()
