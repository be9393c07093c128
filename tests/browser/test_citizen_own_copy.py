"""Mina uppgifter, the patient's own copy, in Chromium against the real citizen web, platform and
service: on a 390 px phone the page fits without sideways scrolling and has no serious axe-core
violation; both files download, the PDF with the released result and without the held one, the
JSON in its documented shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Download, Page, expect
from pypdf import PdfReader

from consumers.citizen_web import own_copy
from tests.support import PlatformProcess

from .citizen import (
    CitizenWebProcess,
    ResultStory,
    login,
    no_horizontal_scroll,
    phone_context,
    released_and_held,
    shot,
    web_fixture,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

web = web_fixture("citizen-web-own-copy")


@pytest.fixture(scope="module")
def story(demo_platform: PlatformProcess) -> ResultStory:
    return released_and_held(demo_platform)


@pytest.fixture()
def phone(browser: Browser, web: CitizenWebProcess, story: ResultStory) -> Iterator[Page]:
    context = phone_context(browser)
    page = context.new_page()
    login(page, web, story.patient)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Mina uppgifter", exact=True).click()
    page.wait_for_url(web.base_url + "/mina-uppgifter")
    yield page
    context.close()


def fetched(page: Page, name: str) -> tuple[Download, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    download = info.value
    path = download.path()
    assert path is not None
    return download, Path(path).read_bytes()


def test_the_page_fits_a_phone_and_passes_axe(phone: Page) -> None:
    expect(phone.get_by_role("heading", name="Mina uppgifter", level=1)).to_be_visible()
    no_horizontal_scroll(phone, "own-copy")
    shot(phone, "own-copy-phone")


def test_the_menu_marks_the_page(phone: Page) -> None:
    link = phone.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Mina uppgifter", exact=True)
    expect(link).to_have_attribute("aria-current", "page")


def test_the_pdf_downloads_with_the_released_result_only(phone: Page, story: ResultStory) -> None:
    download, data = fetched(phone, "Ladda ner som PDF")
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages).split())
    assert re.fullmatch(r"mina-uppgifter-\d{4}-\d\d-\d\d\.pdf", download.suggested_filename)
    assert "Provsvar Långtidsblodsocker (HbA1c)" in text
    assert "46 mmol/mol" in text
    assert "påvisad" not in text


def test_the_json_downloads_in_its_shape(phone: Page, story: ResultStory) -> None:
    download, data = fetched(phone, "Ladda ner som JSON")
    copy = json.loads(data)
    assert re.fullmatch(r"mina-uppgifter-\d{4}-\d\d-\d\d\.json", download.suggested_filename)
    assert (copy["format"], copy["version"]) == (own_copy.COPY_FORMAT, own_copy.COPY_VERSION)
    assert [r["referralId"] for r in copy["results"]] == [story.released_referral]
    assert story.held_referral in {o["referralId"] for o in copy["orders"]}


def test_the_page_stays_when_a_file_downloads(phone: Page, web: CitizenWebProcess) -> None:
    fetched(phone, "Ladda ner som PDF")
    assert phone.url == web.base_url + "/mina-uppgifter"
