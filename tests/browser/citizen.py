"""What the 1177 stand-in's browser story uses: the citizen web's process, logging in and out,
ordering, the checks every page gets (axe-core, 390 px without sideways scrolling), and the
results the labs report."""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from consumers import CitizenService, Connection, EhrSystem, LabSystem
from consumers.roles import actor, timestamp
from eph import demo
from tests.support import (
    ISSUED_PERSON_IDS,
    ROOT,
    PlatformProcess,
    free_port,
    person_number,
    spawn,
    terminate,
    wait_for_page,
)

from .conftest import check_page

ARTIFACTS = ROOT / "test-artifacts" / "citizen-web"
PHONE = {"width": 390, "height": 844}
NPU = "1.2.752.108.1"
SNOMED = demo.SNOMED_CT_SE


@dataclass
class CitizenWebProcess:
    platform: PlatformProcess
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "citizen-web.log"

    def start(self) -> CitizenWebProcess:
        env = {
            # as `make serve` runs it: the platform's plain listener with the development identity
            "EPH_PLATFORM_URL": self.platform.base_url,
            "EPH_VP_INSTANCE_ID": self.platform.instance_id,
            "EPH_CITIZEN_WEB_DEV_LOGIN": "1",
        }
        self.proc, self.log_file = spawn("citizen", self.port, env, self.log_path)
        wait_for_page(self.base_url + "/logga-in", "citizen web")
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        terminate(self.proc, self.log_file)


def running_web(platform: PlatformProcess, folder: Path) -> Iterator[CitizenWebProcess]:
    """A citizen web for a test module; afterwards its log holds no traceback and no identity number."""
    process = CitizenWebProcess(platform, folder).start()
    yield process
    process.stop()
    log = process.log_text()
    assert "Traceback" not in log
    leaked = [n for n in ISSUED_PERSON_IDS if n in log or f"{n[:8]}-{n[8:]}" in log]
    assert leaked == [], "personal identity numbers in the citizen web's log"


def web_fixture(folder: str) -> Any:
    """A module's citizen web fixture, ``web``, its log kept in a folder of that name."""

    @pytest.fixture(scope="module")
    def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
        yield from running_web(demo_platform, Path(tmp_path_factory.mktemp(folder)))

    return web


def connection(platform: PlatformProcess, sender: str) -> Connection:
    return Connection.development(sender, platform=platform.base_url, instance_id=platform.instance_id)


def adult() -> str:
    return person_number(date(random.randint(1960, 2000), random.randint(1, 12), random.randint(1, 28)))


def shot(page: Page, name: str) -> None:
    check_page(page, name, folder=ARTIFACTS)


def phone_context(browser: Browser) -> BrowserContext:
    return browser.new_context(locale="sv-SE", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)


def no_horizontal_scroll(page: Page, name: str) -> None:
    # against the viewport asked for, not innerWidth: a mobile browser zooms out to fit a too-wide
    # page, and innerWidth grows with it
    width, viewport = page.evaluate("document.documentElement.scrollWidth"), (page.viewport_size or PHONE)["width"]
    assert width <= viewport, f"{name}: the page is {width} px wide in a {viewport} px viewport"


def login(page: Page, web: CitizenWebProcess, pnr: str, name: str | None = None) -> None:
    page.goto(web.base_url + "/logga-in")
    expect(page.get_by_role("heading", name="Utvecklingsinloggning")).to_be_visible()
    if name:
        shot(page, name)
    page.get_by_label("Personnummer").fill(f"{pnr[:8]}-{pnr[8:]}")
    page.get_by_role("button", name="Logga in (utveckling)").click()
    page.wait_for_url(web.base_url + "/")
    expect(page.get_by_text(f"Inloggad: {pnr[:8]}-{pnr[8:]}")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/logga-in?utloggad=1")


def order_home_kit(page: Page, web: CitizenWebProcess, shots: str | None = None) -> tuple[str, str]:
    page.goto(web.base_url + "/")
    page.get_by_role("link", name="Beställ Klamydia och gonorré, test").click()
    page.wait_for_url("**/bestall?prov=CTNG&vardgivare=*")  # the entry and its care giver
    if shots:
        shot(page, f"{shots}-order-form")
    page.get_by_label("Namn på brevlådan").fill("Testa Testsson")
    page.get_by_label("Gatuadress").fill("Provgatan 3")
    page.get_by_label("Postnummer").fill("111 22")
    page.get_by_label("Ort").fill("Stockholm")
    page.get_by_role("button", name="Beställ provtagningskit").click()
    return placed(page, shots)


def placed(page: Page, shots: str | None) -> tuple[str, str]:
    page.wait_for_url(re.compile(r".*/bestallningar/[^/?]+\?ny=1$"))
    message = page.locator(".message.success")
    expect(message).to_contain_text("Din beställning är mottagen")
    referral = message.locator(".code").inner_text()
    order_id = page.url.rsplit("/", 1)[1].split("?")[0]
    if shots:
        shot(page, f"{shots}-ordered")
    return order_id, referral


def facts(page: Page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def ctng(order_id: str, chlamydia: str, version: int = 1) -> dict[str, Any]:
    def finding(code: str, interpretation: str) -> dict[str, Any]:
        coded = {"code": "260373001", "displayName": "påvisad"} if interpretation == "POSITIVE" else \
            {"code": "260415000", "displayName": "ej påvisad"}
        return {"code": {"code": code, "codeSystem": demo.LOCAL_ANALYSIS_CODES}, "displayName":
                "Klamydia" if code == "CT-NAAT" else "Gonorré", "coded": {**coded, "codeSystem": SNOMED},
                "interpretation": interpretation, "status": "FINAL"}

    return {"orderId": order_id, "resultVersion": version, "reportStatus": "FINAL", "reportTime": timestamp(),
            "analysisResult": [finding("CT-NAAT", chlamydia), finding("NG-NAAT", "NEGATIVE")]}


def hba1c(order_id: str, value: str, version: int, status: str) -> dict[str, Any]:
    mmol = "mmol/mol"
    return {"orderId": order_id, "resultVersion": version, "reportStatus": status, "reportTime": timestamp(),
            "comment": "Rättat efter kontroll av kalibreringen." if status == "CORRECTED" else None,
            "analysisResult": [{"code": {"code": "NPU27300", "codeSystem": NPU}, "displayName": "HbA1c",
                                "pq": {"value": Decimal(value), "unit": mmol},
                                "referenceInterval": {"low": {"value": Decimal("27"), "unit": mmol},
                                                      "high": {"value": Decimal("42"), "unit": mmol}},
                                "interpretation": "HIGH", "status": "FINAL"}]}


def ids(orders: Any) -> set[str]:
    return {o.orderId for o in orders}


@dataclass(frozen=True)
class ResultStory:
    """A patient with a released, corrected HbA1c and a positive chlamydia test held for follow-up."""

    patient: str
    released_referral: str
    held_referral: str


def released_and_held(platform: PlatformProcess) -> ResultStory:
    """Through the platform, as the journal system, 1177 and the labs do: an assigned HbA1c sampled at
    the southern site (reported 48, corrected to 46) and a self-service chlamydia test at the central
    site, positive and so held for follow-up."""
    patient = adult()
    EhrSystem(connection(platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A).assign(
        patient, "HBA1C", actor("STAFF", "SE2321000016-SSK1"))
    citizen = CitizenService(connection(platform, demo.CITIZEN_SERVICE))
    [offer] = [o for o in citizen.offers(patient) if o.offerCode == "HBA1C"]
    hba1c_order = citizen.order_site_sampling(offer.offerId, patient, demo.SITE_A_SOUTH)
    ctng_order = citizen.order_site_sampling(None, patient, demo.SITE_A_CENTRE, care_giver=demo.CARE_GIVER_A,
                                             offer_code="CTNG")
    lab1, lab2 = LabSystem(connection(platform, demo.LAB_A)), LabSystem(connection(platform, demo.LAB_A2))
    for lab, order in ((lab2, hba1c_order), (lab1, ctng_order)):
        lab.specimen_arrived(order.orderId, f"BC{random.randint(10**8, 10**9)}")
        lab.mark_received(order.orderId)
    lab2.send_result(hba1c(hba1c_order.orderId, "48", 1, "FINAL"))
    lab2.send_result(hba1c(hba1c_order.orderId, "46", 2, "CORRECTED"))
    lab1.send_result(ctng(ctng_order.orderId, "POSITIVE"))
    referrals = {o.orderId: o.referralId for o in citizen.orders(patient)}
    return ResultStory(patient, referrals[hba1c_order.orderId], referrals[ctng_order.orderId])
