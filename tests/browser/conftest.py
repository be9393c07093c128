"""Browser tests: the service, the platform (demo catalogue) and the staff web as real server
processes (the staff web with its TLS listener for card login and, as `make serve` runs it, the
development login), driven by Playwright on Debian's Chromium. Every page a test visits is
checked with axe-core and saved as a screenshot under test-artifacts/."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.certs import CertificateAuthority, Issued
from tests.support import ROOT, PlatformProcess, free_port, spawn, terminate, wait_for_page, wait_for_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "staff-web"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps", "--lang=sv-SE",
]


@dataclass
class StaffWebProcess:
    database_url: str
    folder: Path
    ca: CertificateAuthority
    port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "staff-web.log"

    def start(self) -> StaffWebProcess:
        server = self.ca.issue("staff-web-server", "127.0.0.1", server=True)
        env = {
            "EPH_DATABASE_URL": self.database_url,
            "EPH_STAFF_DEV_LOGIN": "1",  # as `make serve` runs it: the demo staff log in with passwords
            "EPH_STAFF_TLS_BIND": f"127.0.0.1:{self.tls_port}",
            "EPH_STAFF_TLS_CERT": str(server.cert),
            "EPH_STAFF_TLS_KEY": str(server.key),
            "EPH_STAFF_TLS_CA": str(self.ca.path),
        }
        self.proc, self.log_file = spawn("staff", self.port, env, self.log_path)
        wait_for_port(self.tls_port, self.proc)
        wait_for_page(self.base_url + "/login", "staff web")
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        terminate(self.proc, self.log_file)


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(Path(tmp_path_factory.mktemp("staff-ca")), "EPH Staff Test CA")


@pytest.fixture(scope="session")
def staff_web(demo_platform: PlatformProcess, database_url: str, ca: CertificateAuthority,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffWebProcess]:
    web = StaffWebProcess(database_url, Path(tmp_path_factory.mktemp("staff-web")), ca).start()
    yield web
    web.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        # in Swedish, as staff's browsers are (dates in forms as 2026-11-26 10:15; needs chromium-l10n)
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                              env={**os.environ, "LANGUAGE": "sv_SE:sv"})
        yield b
        b.close()


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context: BrowserContext) -> Page:
    return context.new_page()


def card_context(browser: Browser, web: StaffWebProcess, card: Issued) -> BrowserContext:
    return browser.new_context(
        locale="sv-SE", viewport={"width": 1200, "height": 900}, ignore_https_errors=True,
        client_certificates=[{"origin": web.tls_url, "certPath": str(card.cert), "keyPath": str(card.key)}],
    )


_axe = Axe()
SEEN: set[str] = set()


def check_page(page: Page, name: str, *, screenshot: bool = True, folder: Path = ARTIFACTS) -> None:
    """axe-core finds no serious or critical violation; a screenshot is saved; no traceback shows."""
    text = page.content()
    assert "Traceback" not in text
    assert "Internal Server Error" not in text
    assert page.locator("html").get_attribute("lang") == "sv"
    result = _axe.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"
    if screenshot:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)
    SEEN.add(name)


def dev_login(page: Page, web: StaffWebProcess, hsa_id: str, password: str, name: str | None = None) -> None:
    page.goto(web.base_url + "/login")
    if name:
        check_page(page, name)
    page.get_by_label("HSA-id").fill(hsa_id)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(web.base_url + "/")


def logout(page: Page) -> None:
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login")


def flash_text(page: Page) -> Any:
    return page.locator(".message").all_inner_texts()
