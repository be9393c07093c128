"""The staff web's catalogue editor has every field of the catalogue document: a notifiable entry
with positive values, self-service settings and a kit return window is made in the editor and
the service holds what was typed (the editor had none of these fields); a wrong value gets the
refusal the file import gives, and what was typed stays in the form."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from eph import demo
from service_domain import catalogue, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.model import OfferDefinition
from service_domain.persistence.database import Database

from .conftest import StaffWebProcess, check_page, dev_login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _typed() -> dict[str, Any]:
    """What the administrator types, as the catalogue document's entry holds it."""
    return {
        "careGiverHSAId": demo.CARE_GIVER_A,
        "offerCode": f"MG{uuid.uuid4().hex[:6].upper()}",
        "displayName": "Mykoplasma, hemtest",
        "analysis": [{
            "code": {"code": "MG-NAAT", "codeSystem": demo.LOCAL_ANALYSIS_CODES},
            "displayName": "Mykoplasma",
            "positiveValue": [{"code": "260373001", "codeSystem": demo.SNOMED_CT_SE,
                               "codeSystemName": "SNOMED CT-SE", "displayName": "påvisad"}],
        }],
        "samplingMode": ["HOME_KIT"],
        "notifiable": True,
        "resultRelease": "AFTER_FOLLOW_UP_IF_POSITIVE",
        "validityDays": 45,
        "maxOrders": 1,
        "performingLabHSAId": demo.LAB_A,
        "kitReturnDays": 21,
        "selfService": True,
        "selfServiceOrdersPerYear": 3,
        "accountableCareUnit": demo.CARE_UNIT_A,
        "active": True,
    }


def _code(group: Locator, code: dict[str, str]) -> None:
    group.get_by_label("Kod", exact=True).fill(code["code"])
    group.get_by_label("Kodsystem (OID)").fill(code["codeSystem"])
    if "displayName" in code:
        group.get_by_label("Kodens text").fill(code["displayName"])
    if "codeSystemName" in code:
        group.get_by_text("Fler kodfält").click()
        group.get_by_label("Kodsystemets namn").fill(code["codeSystemName"])


def _fill(page: Page, entry: dict[str, Any]) -> None:
    page.get_by_label("Kod", exact=True).first.fill(entry["offerCode"])
    page.get_by_label("Namn som patienten ser").first.fill(entry["displayName"])
    analysis = page.get_by_role("group", name="Analys 1", exact=True)
    (item,) = entry["analysis"]
    analysis.get_by_label("Namn som patienten ser").fill(item["displayName"])
    _code(analysis.get_by_role("group", name="Analysens kod"), item["code"])
    (positive,) = item["positiveValue"]
    _code(analysis.get_by_role("group", name="Positivt fynd 1"), positive)
    for mode in entry["samplingMode"]:
        page.locator(f"input[name=sampling_modes][value={mode}]").check()
    page.get_by_label("Anmälningspliktig (smittskydd)").check()
    page.get_by_label("Svaret släpps till patienten").select_option(entry["resultRelease"])
    page.get_by_label("Giltighet i dagar").fill(str(entry["validityDays"]))
    page.get_by_label("Antal beställningar per erbjudande").fill(str(entry["maxOrders"]))
    page.get_by_label("Laboratorium (HSA-id)").fill(entry["performingLabHSAId"])
    page.get_by_label("Returtid för hemprov, dagar").fill(str(entry["kitReturnDays"]))
    page.get_by_label("Patienten kan beställa själv", exact=False).check()
    page.get_by_label("Högst antal egna beställningar", exact=False).fill(str(entry["selfServiceOrdersPerYear"]))
    page.get_by_label("Ansvarig vårdenhet (HSA-id)").fill(entry["accountableCareUnit"])


def _open_editor(page: Page, staff_web: StaffWebProcess) -> None:
    dev_login(page, staff_web, "SE2321000016-ADM1", demo.DEMO_STAFF_PASSWORD)
    page.goto(staff_web.base_url + "/admin/catalogue/new")


def _stored(db: Database, offer_code: str) -> OfferDefinition | None:
    definitions = services.export_catalogue(db.uow(), CallContext.operator(utcnow()))
    return next((d for d in definitions if d.offer_code == offer_code), None)


def _document_entry(db: Database, offer_code: str) -> dict[str, Any]:
    stored = _stored(db, offer_code)
    assert stored is not None
    entry: dict[str, Any] = catalogue.to_document([stored])["offerDefinitions"][0]
    return entry


def _import_problems(page: Page, staff_web: StaffWebProcess, entry: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "sortiment.yaml"
    path.write_text(yaml.safe_dump({"offerDefinitions": [entry]}, allow_unicode=True), encoding="utf-8")
    page.goto(staff_web.base_url + "/admin/catalogue")
    page.get_by_label("Sortimentsfil (YAML eller JSON)").set_input_files(str(path))
    page.get_by_role("button", name="Importera").click()
    return page.locator(".message.error li").all_inner_texts()


def test_a_notifiable_self_service_entry_made_in_the_editor_is_stored_as_typed(
        page: Page, staff_web: StaffWebProcess, db: Database) -> None:
    typed = _typed()
    _open_editor(page, staff_web)
    check_page(page, "catalogue-editor-new")
    _fill(page, typed)
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".message.success")).to_contain_text(typed["displayName"])
    stored = _document_entry(db, typed["offerCode"])
    assert stored["analysis"] == typed["analysis"]
    assert (stored["selfService"], stored["selfServiceOrdersPerYear"], stored["accountableCareUnit"]) == (
        typed["selfService"], typed["selfServiceOrdersPerYear"], typed["accountableCareUnit"])
    assert stored["kitReturnDays"] == typed["kitReturnDays"]
    assert stored == typed


def test_the_editor_shows_every_field_of_a_stored_entry(page: Page, staff_web: StaffWebProcess) -> None:
    ctng = next(d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_A and d.offer_code == "CTNG")
    _open_editor(page, staff_web)
    page.goto(staff_web.base_url + "/admin/catalogue/CTNG")
    check_page(page, "catalogue-editor-ctng")
    positive = page.get_by_role("group", name="Analys 1", exact=True).get_by_role("group", name="Positivt fynd 1")
    expect(positive.get_by_label("Kod", exact=True)).to_have_value(str(ctng.analyses[0].positive_values[0].code))
    expect(page.get_by_label("Returtid för hemprov, dagar")).to_have_value(str(ctng.kit_return_days))
    expect(page.get_by_label("Patienten kan beställa själv", exact=False)).to_be_checked()
    expect(page.get_by_label("Ansvarig vårdenhet (HSA-id)")).to_have_value(str(ctng.accountable_care_unit))


@pytest.mark.parametrize(("change", "field_id"), [
    (lambda e: e.update(kitReturnDays=5000), "kit_return_days"),
    (lambda e: e["analysis"][0]["positiveValue"][0].update(codeSystem="SNOMED"),
     "analyses-0-positives-0-code_system"),
], ids=["kit-return-window", "positive-value"])
def test_a_wrong_value_gets_the_refusal_of_the_import_and_what_was_typed_stays(
        page: Page, staff_web: StaffWebProcess, db: Database, tmp_path: Path, change: Any, field_id: str) -> None:
    typed = _typed()
    change(typed)
    _open_editor(page, staff_web)
    (imported,) = _import_problems(page, staff_web, typed, tmp_path)
    page.goto(staff_web.base_url + "/admin/catalogue/new")
    _fill(page, typed)
    page.get_by_role("button", name="Spara").click()
    check_page(page, f"catalogue-editor-refused-{field_id}")
    message = page.locator(f"#{field_id}-error").inner_text()
    assert imported.endswith(f": {message}")
    assert _stored(db, typed["offerCode"]) is None
    expect(page.get_by_label("Ansvarig vårdenhet (HSA-id)")).to_have_value(typed["accountableCareUnit"])
    expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")


def test_the_editor_fits_a_phone(page: Page, staff_web: StaffWebProcess) -> None:
    _open_editor(page, staff_web)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(staff_web.base_url + "/admin/catalogue/CTNG")
    check_page(page, "catalogue-editor-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_more_rows_keep_what_was_typed_and_save_nothing(page: Page, staff_web: StaffWebProcess, db: Database) -> None:
    typed = _typed()
    _open_editor(page, staff_web)
    _fill(page, typed)
    page.get_by_role("button", name="Fler tomma rader").click()
    expect(page.get_by_role("group", name="Analys 2", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Analys 1", exact=True).get_by_role("group", name="Positivt fynd 2")).to_be_visible()
    expect(page.get_by_role("group", name="Analys 1", exact=True).get_by_label("Namn som patienten ser")).to_have_value(
        typed["analysis"][0]["displayName"])
    assert _stored(db, typed["offerCode"]) is None
