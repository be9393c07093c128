"""Where the two webs send a visitor (the acceptance test's findings, issue 17), against the real
servers: after logging in, the staff web goes back only to a page of its own (over HTTP); in
Chromium, an unknown address on the 1177 stand-in is its Swedish 404 page whether or not the
visitor is logged in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from lxml import html
from playwright.sync_api import Page, expect

from consumers.citizen_web.app import ERRORS
from eph import demo
from tests.support import PlatformProcess

from .citizen import CitizenWebProcess, adult, login
from .conftest import StaffWebProcess, check_page

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NURSE = "SE2321000016-SSK1"


@pytest.fixture(scope="module")
def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
    process = CitizenWebProcess(demo_platform, Path(tmp_path_factory.mktemp("citizen-web-addresses"))).start()
    yield process
    process.stop()
    assert "Traceback" not in process.log_text()


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
