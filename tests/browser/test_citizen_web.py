"""The 1177 stand-in in Chromium, against the real service and platform: two patients order
(a home kit; a site they choose), the labs fetch the orders and report through the platform with
the consumer library, and each patient reads what is released and who has looked at their data.
A held positive shows only "not yet available". Limits, age and another patient's orders are
refused in plain Swedish. Every page is checked with axe-core on a desktop and a 390 px phone
viewport, without horizontal scrolling, and saved under test-artifacts/citizen-web/."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from consumers import CitizenService, EhrSystem, LabSystem, SamplingSystem
from consumers.roles import actor
from eph import demo
from tests.support import (
    ROOT,
    PlatformProcess,
    person_number,
)

from .citizen import (
    CitizenWebProcess,
    adult,
    connection,
    ctng,
    facts,
    hba1c,
    ids,
    login,
    logout,
    no_horizontal_scroll,
    order_home_kit,
    phone_context,
    placed,
    running_web,
    shot,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def web(demo_platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenWebProcess]:
    yield from running_web(demo_platform, Path(tmp_path_factory.mktemp("citizen-web")))


# ------------------------------------------------------------------ the story


def test_two_patients_order_the_labs_report_and_each_reads_their_own(
    browser: Browser, page: Page, web: CitizenWebProcess, demo_platform: PlatformProcess, database_url: str
) -> None:
    p1, p2 = adult(), adult()
    ehr = EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A)
    ehr.assign(p2, "HBA1C", actor("STAFF", "SE2321000016-SSK1"), comment="Kontroll inför ditt besök.")

    # 1. the first patient orders a home kit herself (a self-service entry of the region)
    login(page, web, p1, "login")
    shot(page, "start-self-service")
    kit_id, kit_referral = order_home_kit(page, web, "kit")
    expect(page.locator("dd.status")).to_have_text("Beställd")
    expect(page.get_by_text("Testa Testsson, Provgatan 3, 111 22 Stockholm")).to_be_visible()
    page.get_by_role("link", name="Mina beställningar").click()
    expect(page.get_by_text(kit_referral)).to_be_visible()
    shot(page, "orders-p1")
    logout(page)
    shot(page, "logged-out")

    # 2. the second patient chooses a site for the assigned HbA1c and one for the chlamydia test
    login(page, web, p2)
    expect(page.get_by_text("Kontroll inför ditt besök.")).to_be_visible()
    shot(page, "start-assigned")
    page.get_by_role("link", name="Beställ Långtidsblodsocker (HbA1c)").click()
    expect(page.get_by_role("heading", name="Få ett provtagningskit hem")).to_have_count(0)  # the offer is SITE only
    page.get_by_role("button", name="Beställ provtagning på mottagningen").click()
    expect(page.get_by_text("Välj en mottagning.")).to_be_visible()  # nothing chosen: nothing sent
    shot(page, "site-not-chosen")
    page.get_by_label("Provtagningen Södermalm").check()
    expect(page.get_by_text("Götgatan 40, 118 26 Stockholm")).to_be_visible()
    expect(page.get_by_text("Måndag–torsdag 8.00–18.00, fredag 8.00–13.00")).to_be_visible()
    shot(page, "site-choice")
    page.get_by_role("button", name="Beställ provtagning på mottagningen").click()
    hba1c_id, hba1c_referral = placed(page, "site")
    expect(page.get_by_text("Provtagningen Södermalm, Götgatan 40")).to_be_visible()
    page.goto(web.base_url + "/bestall?prov=CTNG")
    page.get_by_label("Provtagningen Centrum").check()
    page.get_by_role("button", name="Beställ provtagning på mottagningen").click()
    ctng_id, ctng_referral = placed(page, None)
    logout(page)

    # 3. the chosen site's lab fetches the order through the platform; the other lab does not get it
    lab1 = LabSystem(connection(demo_platform, demo.LAB_A))
    lab2 = LabSystem(connection(demo_platform, demo.LAB_A2))
    lab2_orders = {o.orderId: o for o in lab2.poll_orders()}
    lab1_ids = ids(lab1.poll_orders())
    assert hba1c_id in lab2_orders
    assert hba1c_id not in lab1_ids
    assert lab2_orders[hba1c_id].referralId == hba1c_referral
    assert lab2_orders[hba1c_id].samplingUnitHSAId == demo.SITE_A_SOUTH
    assert {kit_id, ctng_id} <= lab1_ids
    assert not {kit_id, ctng_id} & set(lab2_orders)

    # 4. specimens and results come back through the platform
    lab1.kit_sent(kit_id)
    lab1.specimen_arrived(kit_id, f"KIT{random.randint(10**8, 10**9)}")
    site = SamplingSystem(connection(demo_platform, demo.SAMPLING_A))
    [found] = site.find_by_referral(ctng_referral)
    assert found.orderId == ctng_id
    site.register_collected(ctng_id, f"BC{random.randint(10**8, 10**9)}")
    lab2.specimen_arrived(hba1c_id, f"BC{random.randint(10**8, 10**9)}")
    for lab, order_id in ((lab1, kit_id), (lab1, ctng_id), (lab2, hba1c_id)):
        lab.mark_received(order_id)
    assert lab1.send_result(ctng(kit_id, "NEGATIVE")).result.resultCode == "OK"
    assert lab1.send_result(ctng(ctng_id, "POSITIVE")).result.resultCode == "OK"  # held for follow-up
    assert lab2.send_result(hba1c(hba1c_id, "48", 1, "FINAL")).result.resultCode == "OK"
    assert lab2.send_result(hba1c(hba1c_id, "46", 2, "CORRECTED")).result.resultCode == "OK"

    # 5. each patient reads their released results and their access log
    login(page, web, p1)
    page.get_by_role("link", name="Provsvar").click()
    result = page.locator("li.card.result", has_text=kit_referral)
    expect(result).to_contain_text("Klamydia")
    expect(result).to_contain_text("ej påvisad")
    expect(result).to_contain_text("Negativt")
    expect(result).to_contain_text("Slutligt svar")
    assert hba1c_referral not in facts(page)
    assert ctng_referral not in facts(page)
    shot(page, "results-negative")
    page.get_by_role("link", name="Vem har tittat på mina uppgifter").click()
    log_text = facts(page)
    assert "Labbsystem, vårdgivare A" in log_text
    assert "Uppdaterade en beställning" in log_text
    assert "Labbsystem 2" not in log_text
    assert "Provtagningssystem" not in log_text
    # her own order through 1177 is shown; 1177's reads for her only when asked for
    mine = page.locator("ol.log > li", has_text="Registrerade en beställning")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("1177, den här e-tjänsten")  # the e-service itself, in words the patient knows
    expect(mine).to_contain_text("Vårdgivare")
    expect(mine).to_contain_text("Du själv")
    assert "Läste dina provsvar" not in log_text
    shot(page, "access-log-p1")
    page.get_by_role("link", name="Visa dem också").click()
    expect(page.get_by_text("Läste dina provsvar").first).to_be_visible()
    expect(page.get_by_text("Du själv").first).to_be_visible()
    logout(page)

    login(page, web, p2)
    page.get_by_role("link", name="Provsvar").click()
    result = page.locator("li.card.result", has_text=hba1c_referral)
    expect(result.locator(".value").first).to_have_text("46 mmol/mol")
    expect(result).to_contain_text("27–42 mmol/mol")
    expect(result).to_contain_text("Högre än referensintervallet")
    expect(result).to_contain_text("Rättat svar")
    expect(result).to_contain_text("Rättat efter kontroll av kalibreringen.")
    history = result.locator("details.history")
    expect(history.locator("summary")).to_have_text("Tidigare versioner av svaret (1)")
    history.locator("summary").click()
    expect(history.locator("section.older")).to_contain_text("48 mmol/mol")
    expect(history.locator("section.older")).to_contain_text("Slutligt svar")
    shot(page, "results-corrected")

    # 6. the held positive shows only "not yet available", the same as an order still at the lab
    waiting = page.locator("li.card.waiting", has_text=ctng_referral)
    expect(waiting).to_contain_text("Provsvaret är inte klart än")
    text = facts(page).lower()
    for word in ("påvisad", "positiv", "uppfölj", "smitt", "kontakta"):
        assert word not in text, word
    page.get_by_role("link", name="Mina beställningar").click()
    card = page.locator("li.card", has_text=ctng_referral)
    expect(card.locator("dd.status")).to_have_text("Provsvaret är inte klart än")
    expect(page.locator("li.card", has_text=hba1c_referral).locator("dd.status")).to_have_text("Svar finns (rättat)")
    page.get_by_role("link", name="Vem har tittat på mina uppgifter").click()
    log_text = facts(page)
    assert "Labbsystem 2, vårdgivare A" in log_text
    assert "Provtagningssystem, vårdgivare A" in log_text
    assert "Journalsystem, vårdgivare A" in log_text
    assert "Sara Provtagare" in log_text  # the offer was assigned
    # a lab's result reads like any other update of the order: nothing tells a held finding apart
    assert "provsvar" not in log_text.lower().replace("läste dina provsvar", "")
    shot(page, "access-log-p2")

    # the same pages on a phone: no horizontal scrolling, no serious accessibility problem
    phone = phone_context(browser)
    try:
        small = phone.new_page()
        login(small, web, p2, "phone-login")
        for path, name in (("/", "phone-start"), ("/bestall?prov=CTNG", "phone-order-form"),
                           ("/bestallningar", "phone-orders"), (f"/bestallningar/{hba1c_id}", "phone-order"),
                           ("/provsvar", "phone-results"), ("/vem-har-tittat", "phone-access-log"),
                           ("/vem-har-tittat?alla=1", "phone-access-log-all")):
            small.goto(web.base_url + path)
            if path == "/provsvar":
                small.locator("details.history summary").first.click()
            no_horizontal_scroll(small, name)
            shot(small, name)
    finally:
        phone.close()

    # once staff have closed the follow-up case, the positive result reaches the patient
    env = {**os.environ, "EPH_DATABASE_URL": database_url}
    cases = subprocess.run([sys.executable, "-m", "eph", "followup", "list"], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout
    [case_id] = [line.split()[0] for line in cases.splitlines() if f"order {ctng_id} " in line]
    subprocess.run([sys.executable, "-m", "eph", "followup", "close", case_id, "--by", "SE2321000016-SSK2",
                    "--note", "informed at the clinic visit"], env=env, cwd=ROOT, check=True, capture_output=True)
    page.goto(web.base_url + "/provsvar")
    released = page.locator("li.card.result", has_text=ctng_referral)
    expect(released).to_contain_text("påvisad")
    expect(released).to_contain_text("Positivt")
    expect(page.locator("li.card.waiting")).to_have_count(0)
    shot(page, "results-after-follow-up")


# ------------------------------------------------------------------ limits


def test_age_limits_and_order_limits_are_refused_in_plain_swedish(
    page: Page, web: CitizenWebProcess, demo_platform: PlatformProcess
) -> None:
    today = date.today()
    young = person_number(date(today.year - 14, 1 if today.month > 1 else 2, 10))
    login(page, web, young)
    page.goto(web.base_url + "/")
    expect(page.get_by_text("För dig som är 15 år eller äldre.")).to_be_visible()
    page.goto(web.base_url + "/bestall?prov=CTNG")
    fill_address(page)
    page.get_by_role("button", name="Beställ provtagningskit").click()
    expect(page.locator(".message.error")).to_have_text("Provet kan inte beställas för din ålder.")
    assert "EPH" not in facts(page)
    shot(page, "refused-age")
    logout(page)

    # four orders this year (each one's specimen rejected by the lab): the fifth is refused
    busy = adult()
    citizen = CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE))
    lab = LabSystem(connection(demo_platform, demo.LAB_A))
    address = {"name": "Testa Testsson", "street": "Provgatan 3", "postalCode": "111 22", "city": "Stockholm"}
    for _ in range(4):
        placed_order = citizen.order_home_kit(None, busy, address, care_giver=demo.CARE_GIVER_A, offer_code="CTNG")
        lab.specimen_arrived(placed_order.orderId, f"KIT{random.randint(10**8, 10**9)}")
        lab.reject(placed_order.orderId, {"code": "HEMOLYZED", "codeSystem": demo.REJECTION_REASONS})
    login(page, web, busy)
    page.get_by_role("link", name="Mina beställningar").click()
    expect(page.locator("dd.status", has_text="Provet kunde inte analyseras")).to_have_count(4)
    page.goto(web.base_url + "/bestall?prov=CTNG")
    fill_address(page)
    page.get_by_role("button", name="Beställ provtagningskit").click()
    expect(page.locator(".message.error")).to_have_text(
        "Du har redan beställt det här provet så många gånger som går under ett år.")
    expect(page.get_by_label("Gatuadress")).to_have_value("Provgatan 3")  # what was typed is kept
    shot(page, "refused-limit")
    logout(page)

    # one open order of an entry at a time; cancelling it frees the place
    patient = adult()
    login(page, web, patient)
    page.goto(web.base_url + "/bestall?prov=CTNG")
    fill_address(page)
    page.get_by_label("Postnummer").fill("1234")
    page.get_by_role("button", name="Beställ provtagningskit").click()
    expect(page.get_by_text("Skriv postnumret med fem siffror, till exempel 111 22.")).to_be_visible()
    expect(page.get_by_label("Postnummer")).to_have_attribute("aria-describedby", "postalCode-error")
    shot(page, "address-invalid")
    page.goto(web.base_url + "/bestallningar")
    expect(page.get_by_text("Du har inga beställningar.")).to_be_visible()  # nothing was sent
    kit_id, _ = order_home_kit(page, web)
    page.goto(web.base_url + "/bestall?prov=CTNG")
    page.get_by_label("Provtagningen Centrum").check()
    page.get_by_role("button", name="Beställ provtagning på mottagningen").click()
    expect(page.locator(".message.error")).to_contain_text("Du har redan en pågående beställning av det här provet.")
    expect(page.get_by_label("Provtagningen Centrum")).to_be_checked()
    shot(page, "refused-open-order")
    page.goto(f"{web.base_url}/bestallningar/{kit_id}")
    shot(page, "order-detail")
    page.get_by_role("link", name="Avboka beställningen").click()
    # one tap asks; the order stays until the patient confirms
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vill du avboka")
    shot(page, "cancel-confirm")
    page.get_by_role("link", name="Nej, behåll den").click()
    expect(page.locator("dd.status")).not_to_have_text("Avbokad")
    page.get_by_role("link", name="Avboka beställningen").click()
    page.get_by_role("button", name="Ja, avboka beställningen").click()
    expect(page.locator(".message.success")).to_have_text("Beställningen är avbokad.")
    expect(page.locator("dd.status")).to_have_text("Avbokad")
    expect(page.get_by_role("link", name="Avboka beställningen")).to_have_count(0)
    shot(page, "cancelled")
    page.goto(web.base_url + "/bestall?prov=CTNG")
    page.get_by_label("Provtagningen Centrum").check()
    page.get_by_role("button", name="Beställ provtagning på mottagningen").click()
    placed(page, None)
    expect(page.get_by_text("Visa remisskoden när du kommer till mottagningen.")).to_be_visible()

    # a home kit for a site-only offer (a form the page does not offer, sent anyway): EPH004 in words
    EhrSystem(connection(demo_platform, demo.EHR_A), demo.CARE_GIVER_A, demo.CARE_UNIT_A).assign(
        patient, "HBA1C", actor("STAFF", "SE2321000016-SSK1"))
    page.goto(web.base_url + "/")
    page.get_by_role("link", name="Beställ Långtidsblodsocker (HbA1c)").click()
    offer_id = page.locator("input[name=erbjudande]").first.get_attribute("value")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(web.base_url + "/bestall", form={
        "csrf_token": token or "", "erbjudande": offer_id or "", "mode": "HOME_KIT", "name": "Testa Testsson",
        "street": "Provgatan 3", "postalCode": "111 22", "city": "Stockholm"})
    assert answer.status == 409
    body = answer.text()
    assert "Erbjudandet går inte att använda på det sättet. Välj ett annat sätt att lämna provet." in body
    assert "EPH004" not in body
    assert "HOME_KIT" not in body
    assert "Traceback" not in body


def fill_address(page: Page) -> None:
    page.get_by_label("Namn på brevlådan").fill("Testa Testsson")
    page.get_by_label("Gatuadress").fill("Provgatan 3")
    page.get_by_label("Postnummer").fill("111 22")
    page.get_by_label("Ort").fill("Stockholm")


# ------------------------------------------------------------------ access


def test_a_patient_never_reaches_another_patients_data(
    browser: Browser, page: Page, web: CitizenWebProcess, demo_platform: PlatformProcess
) -> None:
    other, me = adult(), adult()
    citizen = CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE))
    address = {"name": "Annan Person", "street": "Annangatan 9", "postalCode": "222 33", "city": "Lund"}
    theirs = citizen.order_home_kit(None, other, address, care_giver=demo.CARE_GIVER_A, offer_code="CTNG")

    # not logged in: every page leads to the login
    for path in ("/", "/bestallningar", f"/bestallningar/{theirs.orderId}", "/provsvar", "/vem-har-tittat"):
        page.goto(web.base_url + path)
        assert page.url == web.base_url + "/logga-in", path

    page.goto(web.base_url + "/logga-in")
    page.get_by_label("Personnummer").fill("19850317-2383")  # wrong check digit
    page.get_by_role("button", name="Logga in (utveckling)").click()
    expect(page.locator(".message.error")).to_contain_text("Skriv ett giltigt personnummer")
    shot(page, "login-invalid")

    login(page, web, me)
    mine, _ = order_home_kit(page, web)
    # another patient's order by its id in the address: not found, as if it did not exist
    answer = page.goto(f"{web.base_url}/bestallningar/{theirs.orderId}")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    shot(page, "not-found")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    refused = page.request.post(f"{web.base_url}/bestallningar/{theirs.orderId}/avboka", form={"csrf_token": token})
    assert refused.status == 404
    [still] = [o for o in citizen.orders(other) if o.orderId == theirs.orderId]
    assert still.status == "ORDERED"
    for path in ("/", "/bestallningar", "/provsvar", "/vem-har-tittat?alla=1"):
        page.goto(web.base_url + path)
        text = page.content()
        assert theirs.referralId not in text
        assert theirs.orderId not in text
        assert other not in text
        assert "Annangatan" not in text
        assert f"{other[:8]}-{other[8:]}" not in text

    # a form without its token is refused, and nothing changes
    no_token = page.request.post(f"{web.base_url}/bestallningar/{mine}/avboka", form={})
    assert no_token.status == 400
    assert "Formuläret har gått ut" in no_token.text()
    page.goto(f"{web.base_url}/bestallningar/{mine}")
    expect(page.locator("dd.status")).to_have_text("Beställd")
    # a token of another session is refused too
    stranger = browser.new_context(locale="sv-SE")
    try:
        other_page = stranger.new_page()
        login(other_page, web, other)
        foreign = other_page.request.post(f"{web.base_url}/bestallningar/{theirs.orderId}/avboka",
                                          form={"csrf_token": token})
        assert foreign.status == 400
    finally:
        stranger.close()

    # the session cookie is sealed: a changed cookie is no session at all
    cookies = page.context.cookies(web.base_url)
    [session] = [c for c in cookies if c["name"] == "eph-1177-dev"]
    assert me not in session["value"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Lax"
    page.context.add_cookies([{**session, "value": session["value"][:-4] + "AAAA"}])  # type: ignore[typeddict-item]
    page.goto(web.base_url + "/provsvar")
    assert page.url == web.base_url + "/logga-in"
