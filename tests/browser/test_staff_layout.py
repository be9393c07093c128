"""Every page of the staff web on a phone (390 px) and a tablet (768 px): no sideways scrolling,
a header whose parts each stay on one line, tables that are still tables to a screen reader,
and no serious axe-core violation. The pages are visited with real data: a patient with an
order whose result waits for follow-up, an order waiting to be sampled and one held for review.
Screenshots go to test-artifacts/staff-web/phone and …/tablet."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    Interpretation,
    LaboratoryResult,
    OfferDefinition,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
)
from service_domain.persistence.database import Database
from service_domain.services import WriteOutcome
from service_domain.staff import StaffActing
from tests.support import person_number

from .conftest import ARTIFACTS, StaffWebProcess, check_page, dev_login, logout

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VIEWPORTS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 768, "height": 1024},
                                      "tablet-landscape": {"width": 1024, "height": 768}}


@dataclass(frozen=True)
class Data:
    number: str
    followed: WriteOutcome  # CTNG at a lab without a system: specimen taken, positive result, follow-up open
    waiting: WriteOutcome  # HbA1c at a lab without a system, not yet sampled
    reviewed: WriteOutcome  # a result held for review


@dataclass
class Findings:
    """What each page showed; collected so that one run names every page that fails."""

    wide: list[str] = field(default_factory=list)
    wrapped: list[str] = field(default_factory=list)
    lost_tables: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


def _ctx(consumer: str, staff: StaffActing | None = None) -> CallContext:
    return CallContext(str(uuid.uuid4()), consumer, utcnow(), staff=staff)


@pytest.fixture(scope="module")
def data(db: Database, staff_web: StaffWebProcess) -> Data:
    """Made through the service layer as the journal system, 1177, the staff web and a lab would."""
    p = PersonId(person_number(date(1990, 6, 15)))
    code = f"GR{uuid.uuid4().hex[:6].upper()}"
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), [OfferDefinition(
        demo.CARE_GIVER_A, code, "Granskat blodsocker", (demo.HBA1C,), (SamplingMode.SITE,), False,
        ResultRelease.AFTER_REVIEW, 30, 1, demo.LAB_A)])
    staff = Actor(ActorKind.STAFF, "SE2321000016-ST01")
    offers = {c: services.assign_offer(db.uow(), _ctx(demo.EHR_A), commands.AssignOffer(
        p, c, demo.CARE_GIVER_A, demo.CARE_UNIT_A, staff)) for c in ("CTNG", "HBA1C", code)}

    def order(c: str, lab: str) -> WriteOutcome:
        return services.create_order(db.uow(), _ctx(demo.CITIZEN_SERVICE), commands.CreateOrder(
            offers[c].offer_id or "", p, SamplingMode.SITE, performing_lab=lab))

    followed, waiting, reviewed = order("CTNG", demo.LAB_A3), order("HBA1C", demo.LAB_A3), order(code, demo.LAB_A)
    nurse = StaffActing("SE2321000016-SSK1", demo.CARE_UNIT_A)
    taken = utcnow() - timedelta(minutes=5)
    services.set_order_status(db.uow(), _ctx(demo.STAFF_WEB, nurse), commands.SetOrderStatus(
        followed.order_id or "", OrderStatus.SPECIMEN_COLLECTED, taken,
        Actor(ActorKind.STAFF, nurse.hsa_id, "Sara Provtagare"), demo.CARE_UNIT_A,
        specimens=(Specimen(f"TUB{uuid.uuid4().hex[:9].upper()}", None, taken),)))
    reporter = StaffActing("SE2321000016-SSK2", demo.CARE_UNIT_A)
    services.set_result(db.uow(), _ctx(demo.STAFF_WEB, reporter), commands.SetResult(LaboratoryResult(
        followed.order_id or "", demo.LAB_A3, 1, ReportStatus.FINAL, utcnow() - timedelta(minutes=1), (
            AnalysisResult(demo.CHLAMYDIA.code, demo.DETECTED, AnalysisStatus.FINAL, "Klamydia",
                           interpretation=Interpretation.POSITIVE),
            AnalysisResult(demo.GONORRHOEA.code, demo.NOT_DETECTED, AnalysisStatus.FINAL, "Gonorré",
                           interpretation=Interpretation.NEGATIVE)),
        signed_by=Actor(ActorKind.STAFF, reporter.hsa_id, "Fredrik Uppföljare"))))
    services.set_result(db.uow(), _ctx(demo.LAB_A), commands.SetResult(LaboratoryResult(
        reviewed.order_id or "", demo.LAB_A, 1, ReportStatus.FINAL, utcnow() - timedelta(minutes=1), (
            AnalysisResult(demo.HBA1C.code, Quantity("48", "mmol/mol"), AnalysisStatus.FINAL),))))
    return Data(p.id, followed, waiting, reviewed)


def _examine(page: Page, name: str, folder: str, found: Findings) -> None:
    """The page fits its width, the header's parts are one line each, every table is a table in
    Chromium's accessibility tree; axe-core and the screenshot as on every page (check_page)."""
    found.pages.append(name)
    page.wait_for_load_state()
    # against the viewport asked for: a phone's browser zooms out to show a too-wide page,
    # and window.innerWidth grows with it
    width, viewport = page.evaluate("document.documentElement.scrollWidth"), page.viewport_size["width"]
    if width > viewport:
        found.wide.append(f"{name} (+{width - viewport} px)")
    wrapped = page.evaluate("""() => [...document.querySelectorAll(
        'header.top .brand a, header.top .brand .sub, header.top .who span, header.top .who button')]
        .filter(e => e.getClientRects().length > 0
                     && e.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(e).lineHeight))
        .map(e => e.textContent.trim())""")
    if wrapped:
        found.wrapped.append(f"{name}: {wrapped}")
    tables = page.locator("table").count()
    if tables:
        tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
        roles = [n.get("role", {}).get("value") for n in tree["nodes"] if not n.get("ignored")]
        rows = page.locator("tr").count()
        if (roles.count("table"), roles.count("row")) != (tables, rows):
            found.lost_tables.append(f"{name}: {roles.count('table')} of {tables} tables, "
                                     f"{roles.count('row')} of {rows} rows")
    check_page(page, f"{folder}-{name}", folder=ARTIFACTS / folder)


def _open_all(page: Page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_every_staff_page_fits_a_phone_and_a_tablet(browser: Browser, staff_web: StaffWebProcess, data: Data,
                                                     device: str) -> None:
    context = browser.new_context(locale="sv-SE", viewport=VIEWPORTS[device], device_scale_factor=2,
                                  is_mobile=device == "phone", has_touch=True)
    page = context.new_page()
    found = Findings()
    base = staff_web.base_url

    def visit(name: str, path: str | None = None, then: Callable[[], None] | None = None) -> None:
        if path is not None:
            page.goto(base + path)
        if then is not None:
            then()
        _examine(page, name, device, found)

    referral = data.followed.referral_id or ""
    # without logging in: the login page and the error pages
    visit("login", "/login")
    visit("error-not-found", "/finns-inte")
    visit("error-uthopp", "/uthopp")

    # the sampling desk (ASSIGN, SAMPLING)
    dev_login(page, staff_web, "SE2321000016-SSK1", demo.DEMO_STAFF_PASSWORD)
    visit("start-sampling", "/")
    visit("patient-search", "/patient")
    page.get_by_label("Personnummer eller samordningsnummer").fill(data.number)
    page.get_by_role("button", name="Sök patient").click()
    expect(page.get_by_role("heading", name=f"{data.number[:8]}-{data.number[8:]}")).to_be_visible()
    visit("patient", then=lambda: _open_all(page))
    visit("sampling-desk", "/sampling")
    page.get_by_label("Personnummer eller remisskod").fill(data.number)
    page.get_by_label("Personnummer eller remisskod").press("Enter")
    expect(page.get_by_role("row", name=referral)).to_be_visible()
    visit("sampling-found")
    visit("sampling-order", f"/sampling/order/{data.waiting.order_id}")
    visit("sampling-order-taken", f"/sampling/order/{data.followed.order_id}")
    visit("sampling-label", f"/sampling/order/{data.followed.order_id}/label")
    logout(page)

    # results and follow-up (RESULTS, FOLLOW_UP)
    dev_login(page, staff_web, "SE2321000016-SSK2", demo.DEMO_STAFF_PASSWORD)
    visit("start-followup", "/")
    visit("results-worklist", "/results")
    visit("results-order-entry", f"/results/{data.waiting.order_id}")
    visit("results-order-reported", f"/results/{data.followed.order_id}", lambda: _open_all(page))
    visit("followup-queue", "/followup")
    page.goto(base + (page.get_by_role("link", name=f"Öppna ärendet för {referral}").get_attribute("href") or ""))
    expect(page.locator(".rikskod")).to_be_visible()
    visit("followup-case")
    visit("review-queue", "/review")
    visit("review-order", f"/review/{data.reviewed.order_id}")
    logout(page)

    # administration (ADMIN)
    dev_login(page, staff_web, "SE2321000016-ADM1", demo.DEMO_STAFF_PASSWORD)
    visit("start-admin", "/")
    visit("admin-staff", "/admin/staff")
    visit("admin-member", "/admin/staff/SE2321000016-SSK1")
    visit("admin-catalogue", "/admin/catalogue")
    visit("admin-definition", "/admin/catalogue/CTNG")
    visit("admin-definition-new", "/admin/catalogue/new")
    context.close()

    assert found.wide == [], f"{len(found.wide)} of {len(found.pages)} pages scroll sideways at {device} width"
    assert found.wrapped == [], "header parts broken over lines"
    assert found.lost_tables == [], "tables no longer tables to a screen reader"
