"""The staff web's catalogue import reads a document as `eph catalog import` does: its sampling
sites are registered (they were dropped without a word) and counted in Swedish (1
provtagningsställe), and a site of another care giver is refused with a message, nothing
imported."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from eph import demo
from service_domain import services
from service_domain.persistence.database import Database

from .conftest import StaffWebProcess, check_page, dev_login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _document(tmp_path: Path, care_giver: str) -> tuple[Path, str]:
    site = f"SE2321000016-P{uuid.uuid4().hex[:8].upper()}"
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"samplingSites": [{
        "samplingUnitHSAId": site, "name": "Provtagningen Norr", "careGiverHSAId": care_giver,
        "address": {"street": "Norrgatan 1", "postalCode": "113 30", "city": "Stockholm"},
        "performingLabHSAId": demo.LAB_A,
    }]}, allow_unicode=True), encoding="utf-8")
    return path, site


def _import(page: Page, staff_web: StaffWebProcess, path: Path) -> None:
    dev_login(page, staff_web, "SE2321000016-ADM1", demo.DEMO_STAFF_PASSWORD)
    page.goto(staff_web.base_url + "/admin/catalogue")
    page.get_by_label("Sortimentsfil (YAML eller JSON)").set_input_files(str(path))
    page.get_by_role("button", name="Importera").click()


def _registered(db: Database, site: str) -> bool:
    return any(s.hsa_id == site for s in services.list_sampling_sites(db.uow(), demo.CARE_GIVER_A))


def test_the_sampling_sites_of_an_imported_document_are_registered(
        page: Page, staff_web: StaffWebProcess, db: Database, tmp_path: Path) -> None:
    path, site = _document(tmp_path, demo.CARE_GIVER_A)
    _import(page, staff_web, path)
    expect(page.locator(".message.success")).to_contain_text("1 provtagningsställe.")
    assert _registered(db, site)


def test_a_sampling_site_of_another_care_giver_is_refused_with_a_message(
        page: Page, staff_web: StaffWebProcess, db: Database, tmp_path: Path) -> None:
    path, site = _document(tmp_path, demo.CARE_GIVER_B)
    _import(page, staff_web, path)
    expect(page.get_by_text(f"Provtagningsstället {site} hör till en annan vårdgivare")).to_be_visible()
    check_page(page, "catalogue-import-refused")
    assert not any(s.hsa_id == site for s in services.list_sampling_sites(db.uow(), demo.CARE_GIVER_B))
