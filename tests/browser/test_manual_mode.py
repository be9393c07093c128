"""The manual-mode story in the browser: a care giver without connected systems works in the
staff web. The patient's specimen goes to a lab with no connected lab system, so its result
is typed in on the staff web by a member with RESULTS, under the same rules as SetResult."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from eph import demo
from service_domain.persistence.database import Database
from tests.support import CHECK, PlatformProcess, Soap, patient

from .conftest import StaffWebProcess, check_page, dev_login, logout

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def show(number: str) -> str:
    return f"{number[:8]}-{number[8:]}"


def test_the_manual_mode_story(page: Page, staff_web: StaffWebProcess, demo_platform: PlatformProcess,
                               db: Database) -> None:
    citizen = Soap(demo_platform.base_url, demo.CITIZEN_SERVICE, via_platform=demo_platform.instance_id)
    p = patient(date(1995, 4, 12))
    number = p["id"]
    nurse = f"SE2321000016-N{uuid.uuid4().hex[:8].upper()}"

    # 1. an admin registers a staff member
    dev_login(page, staff_web, "SE2321000016-ADM1", demo.DEMO_STAFF_PASSWORD, "login")
    check_page(page, "start-admin")
    page.get_by_role("link", name="Medarbetare").first.click()
    check_page(page, "admin-staff")
    page.get_by_label("HSA-id").fill(nurse)
    page.get_by_label("Namn").fill("Nora Nyanställd")
    page.get_by_label("Tilldela erbjudanden").check()
    page.get_by_label("Provtagning").check()
    page.get_by_label("Lösenord för utvecklingsinloggning").fill("nora-losen-1")
    page.get_by_role("button", name="Registrera medarbetaren").click()
    expect(page.locator(".message.success")).to_contain_text("Nora Nyanställd är registrerad")
    row = page.get_by_role("row", name=nurse)
    expect(row).to_contain_text("Tilldela erbjudanden")
    expect(row).to_contain_text("Provtagning")
    check_page(page, "admin-staff-registered")
    page.get_by_role("link", name="Ändra Nora Nyanställd").click()
    check_page(page, "admin-member")
    logout(page)

    # 2. the staff member logs in and assigns an offer
    dev_login(page, staff_web, nurse, "nora-losen-1")
    check_page(page, "start-nurse")
    expect(page.get_by_role("link", name="Medarbetare")).to_have_count(0)  # no ADMIN here
    page.get_by_role("navigation").get_by_role("link", name="Patient").click()
    check_page(page, "patient-search")
    page.get_by_label("Personnummer eller samordningsnummer").fill(show(number))
    page.get_by_role("button", name="Sök patient").click()
    expect(page.get_by_role("heading", name=show(number))).to_be_visible()
    expect(page.get_by_text("Patienten har inga erbjudanden hos vårdgivaren.")).to_be_visible()
    page.get_by_label("Erbjudande", exact=True).select_option("CTNG")
    page.get_by_role("button", name="Tilldela erbjudandet").click()
    expect(page.locator(".message.success")).to_contain_text("är tilldelat")
    expect(page.get_by_role("row", name="Klamydia och gonorré")).to_contain_text("Aktivt")
    check_page(page, "patient-offer-assigned")

    # 3. the patient orders, through the SOAP contract as 1177, sampling at a site whose specimens go to
    #    a lab with no connected lab system
    (offer,) = citizen("GetOffers", patientId=p, status=["ACTIVE"]).offer
    order = citizen("CreateOrder", offerId=offer.offerId, patientId=p, samplingMode="SITE",
                    performingLabHSAId=demo.LAB_A3)
    assert order.result.resultCode == "OK", order.result
    referral = order.referralId

    # 4. the sampling desk finds the order and registers the specimen; the label shows a barcode
    page.get_by_role("navigation").get_by_role("link", name="Provtagning").click()
    check_page(page, "sampling-desk")
    search = page.get_by_label("Personnummer eller remisskod")
    expect(search).to_be_focused()
    search.fill(referral.lower())  # as typed; the referral code is found whatever the case
    search.press("Enter")
    expect(page.get_by_role("row", name=referral)).to_contain_text("Beställd")
    # where the specimen goes: the site the patient chose (here any) and the performing lab
    expect(page.get_by_role("row", name=referral)).to_contain_text("Valfri mottagning")
    expect(page.get_by_role("row", name=referral)).to_contain_text(f"Lab {demo.LAB_A3}")
    check_page(page, "sampling-found")
    page.get_by_role("link", name=f"Ta prov för {referral}").click()
    expect(page.get_by_text(show(number))).to_be_visible()
    check_page(page, "sampling-order")
    barcode = page.get_by_label("Provrörets streckkod")
    expect(barcode).to_be_focused()
    specimen_id = f"TUB{uuid.uuid4().hex[:9].upper()}"
    page.keyboard.type(specimen_id)  # a hand scanner types the code and presses Enter
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sampling/order/{order.orderId}/label")
    expect(page.locator(".message.success")).to_contain_text("Provet är registrerat")
    image = page.get_by_role("img", name=f"Streckkod Code 128 för provid {specimen_id}")
    expect(image).to_be_visible()
    svg = base64.b64decode(image.get_attribute("src").split(",", 1)[1]).decode()
    assert svg.startswith("<svg")
    assert svg.count("<rect") > 30
    label = page.locator(".label").first
    box = label.bounding_box()
    assert box is not None
    assert abs(box["width"] - 62 * 96 / 25.4) < 2
    assert abs(box["height"] - 29 * 96 / 25.4) < 2
    expect(label).to_contain_text(referral)
    expect(label).to_contain_text(specimen_id)
    expect(page.get_by_role("button", name="Skriv ut etiketten")).to_be_visible()  # the script shows it
    check_page(page, "sampling-label")
    page.emulate_media(media="print")
    label.screenshot(path=str(page_artifact("sampling-label-printed")))
    expect(page.get_by_role("navigation")).to_be_hidden()
    page.emulate_media(media="screen")
    logout(page)

    # 5. the result is typed in on the staff web by a member with RESULTS: the lab reported it on paper
    dev_login(page, staff_web, "SE2321000016-SSK2", demo.DEMO_STAFF_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Provsvar").click()
    work_row = page.get_by_role("row", name=referral)
    expect(work_row).to_contain_text("Prov taget")
    expect(work_row).to_contain_text(specimen_id)
    expect(work_row).to_contain_text(demo.LAB_A3)
    # no identity in the worklist
    assert number not in page.content()
    assert show(number) not in page.content()
    check_page(page, "results-worklist")
    work_row.get_by_role("link", name=f"Registrera svar för {referral}").click()
    expect(page.get_by_text(show(number))).to_be_visible()
    check_page(page, "results-order")
    ct = page.get_by_role("group", name="Klamydia")
    ng = page.get_by_role("group", name="Gonorré")
    expect(ct.get_by_role("radio", name="Fynd ur listan")).to_be_checked()
    expect(ct.get_by_label("Enhet (UCUM)").first).to_be_hidden()  # only the chosen kind of answer shows
    ct.get_by_label("Fynd", exact=True).select_option(label="Påvisad")
    ct.get_by_label("Bedömning").select_option(label="Positivt")
    ct.get_by_label("Kommentar").fill("Svar per fax från laboratoriet")
    ng.get_by_label("Fynd", exact=True).select_option(label="Ej påvisad")
    page.screenshot(path=str(page_artifact("results-entry")), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1200, "height": 1400})  # for docs/staff-web.md
    page.get_by_role("button", name="Spara svaret (version 1)").click()
    # refused: gonorrhoea has no interpretation; the message is on its field, and the typing is kept
    problem = ng.get_by_label("Bedömning")
    expect(problem).to_have_attribute("aria-invalid", "true")
    expect(ng.locator(".error")).to_contain_text("släpps direkt bara när bedömningen är Negativ")
    expect(ct.get_by_label("Fynd", exact=True)).to_have_value(demo.SNOMED_CT_SE + "|" + demo.DETECTED.code)
    expect(ct.get_by_label("Kommentar")).to_have_value("Svar per fax från laboratoriet")
    check_page(page, "results-order-refused")
    problem.select_option(label="Negativt")
    check_page(page, "results-order-filled")
    page.get_by_role("button", name="Spara svaret (version 1)").click()
    saved = page.locator(".message.success")
    expect(saved).to_contain_text("Version 1 är sparad")
    expect(saved).to_contain_text("kön Uppföljning")
    expect(page.get_by_role("row", name="Klamydia")).to_contain_text("Påvisad")
    check_page(page, "results-saved")
    page.locator("summary", has_text="Rätta svaret").click()  # a correction and a withdrawal, unfolded
    page.locator("summary", has_text="Återkalla version 1").click()
    expect(page.get_by_label("Varför återkallas svaret?")).to_be_visible()
    check_page(page, "results-change")
    held = {r.order.orderId: r for r in citizen("GetResults", patientId=p).orderResult}[order.orderId]
    assert (held.releasedToPatient, held.result) == (False, None)

    # 6. the positive chlamydia result goes to follow-up; the case is closed
    saved.get_by_role("link", name="Till kön Uppföljning").click()
    check_page(page, "followup-queue")
    queue_row = page.get_by_role("row", name=referral)
    expect(queue_row).to_contain_text("Klamydia och gonorré")
    # no identity in the queue
    assert number not in page.content()
    assert show(number) not in page.content()
    queue_row.get_by_role("link").click()
    expect(page.get_by_text(show(number))).to_be_visible()
    rikskod = f"{number[2:4]}-{number[8:]}"
    expect(page.locator(".rikskod")).to_contain_text(rikskod)
    expect(page.get_by_role("row", name="Klamydia")).to_contain_text("Positivt")
    expect(page.locator(".message.warn")).to_contain_text("inte registrerad som kontaktad")
    check_page(page, "followup-case")
    # the case does not close before the patient is contacted, unless a reason is given
    page.get_by_role("button", name="Avsluta ärendet och släpp svaret till patienten").click()
    expect(page.locator(".message.error")).to_contain_text("skriv varför ärendet avslutas utan den")
    expect(page.get_by_role("button", name="Registrera steget")).to_be_visible()
    for step, note in (("Patienten kontaktad", "Ringt, informerad om svaret"), ("Behandling", "Doxycyklin 7 dagar"),
                       ("Smittspårning påbörjad", "Två kontakter"), ("Anmäld i SmiNet", None)):
        page.get_by_label("Steg", exact=True).select_option(label=step)
        if note:
            page.get_by_label("Anteckning", exact=True).fill(note)
        page.get_by_role("button", name="Registrera steget").click()
        expect(page.locator(".message.success")).to_contain_text(f"Registrerat: {step}")
    expect(page.locator("ol.steps li.todo")).to_have_count(0)
    # each step is recorded as done by the staff member logged in
    expect(page.locator(".step-record").first).to_contain_text("av SE2321000016-SSK2")
    expect(page.get_by_text("Doxycyklin 7 dagar")).to_be_visible()
    expect(page.locator(".message.warn")).to_have_count(0)
    check_page(page, "followup-case-steps")
    page.get_by_role("button", name="Avsluta ärendet och släpp svaret till patienten").click()
    expect(page.locator(".message.success")).to_contain_text("Svaret är släppt till patienten")
    expect(page.get_by_role("row", name=referral)).to_have_count(0)
    check_page(page, "followup-queue-empty")

    # the patient page shows the order's history and the released result
    page.get_by_role("navigation").get_by_role("link", name="Patient").click()
    page.get_by_label("Personnummer eller samordningsnummer").fill(number)
    page.get_by_role("button", name="Sök patient").click()
    article = page.get_by_role("article").filter(has_text=referral)
    expect(article).to_contain_text("Slutligt svar")
    expect(article).to_contain_text("Släppt till patienten")
    article.locator("summary", has_text="Händelser").click()
    expect(article.get_by_role("row", name="Prov taget")).to_contain_text("Nora Nyanställd")
    check_page(page, "patient-result")

    # 7. the patient's GetResults now shows the result
    released = {r.order.orderId: r for r in citizen("GetResults", patientId=p).orderResult}[order.orderId]
    assert released.releasedToPatient
    coded = {a.code.code: (a.coded.code, a.interpretation, a.status) for a in released.result.analysisResult}
    assert coded == {"CT-NAAT": (demo.DETECTED.code, "POSITIVE", "FINAL"),
                     "NG-NAAT": (demo.NOT_DETECTED.code, "NEGATIVE", "FINAL")}
    assert released.result.performingLabHSAId == demo.LAB_A3
    assert released.result.signedBy.id == "SE2321000016-SSK2"

    # every view and change was audited with the staff member and the care unit
    with db.uow() as uow:
        records = uow.audit.for_patient(number)
    by_nurse = {(r.operation, r.action) for r in records if r.actor_id == nurse}
    assert {("PatientView", "READ"), ("AssignOffer", "WRITE"), ("GetOrders", "READ"),
            ("SetOrderStatus", "WRITE")} <= by_nurse
    staff_records = [r for r in records if r.consumer_hsa_id == demo.STAFF_WEB]
    assert staff_records
    assert all(r.care_unit == demo.CARE_UNIT_A for r in staff_records)
    assert {("ResultOrder", "READ"), ("SetResult", "WRITE"), ("FollowUpCase", "READ"), ("RecordFollowUpStep", "WRITE"),
            ("CloseFollowUp", "WRITE")} <= {
        (r.operation, r.action) for r in records if r.actor_id == "SE2321000016-SSK2"}
    assert CHECK.problems == []
    # no identity number in the staff web's log
    assert number not in staff_web.log_text()
    assert specimen_id not in staff_web.log_text()


def page_artifact(name: str) -> Any:
    from .conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
