"""The staff web's protected-identity marking in the browser on a 390 px phone: a patient the
population register stand-in marks is shown as "Skyddad identitet" on the patient page, in the
sampling desk's list and on the order page (where the desk handling the order sees the phone),
each page without sideways scrolling and without a serious axe-core violation. The staff web
asks the stand-in over HTTP, as `make serve` runs them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from eph import demo
from eph.population import configured_register
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.identity import PersonId
from service_domain.model import Actor, ActorKind, SamplingMode
from service_domain.persistence.database import Database
from tests.conftest import seeded
from tests.support import person_number, serving, wait_for_page

from .conftest import ARTIFACTS, check_page

TOKEN = "protected-browser-test"
PHONE_NUMBER = "+46701234567"
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Web:
    base_url: str
    patient: PersonId
    order_id: str
    referral_id: str


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    folder = Path(tmp_path_factory.mktemp("protected-web"))
    url = seeded(f"sqlite:///{folder / 'eph.sqlite3'}")
    with serving("population-register", {"EPH_POPULATION_REGISTER_TOKEN": TOKEN}, folder / "register.log") as register_url, \
            serving("staff", {"EPH_DATABASE_URL": url, "EPH_STAFF_DEV_LOGIN": "1", "EPH_POPULATION_URL": register_url,
                              "EPH_POPULATION_TOKEN": TOKEN}, folder / "staff.log") as web_url:
        wait_for_page(web_url + "/login", "staff web")
        patient = PersonId(person_number(date(1990, 1, 1)))
        answer = requests.put(register_url + "/admin/person", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5,
                              json={"personId": patient.id, "givenName": "Testa", "surname": "Testsson",
                                    "protected": True})
        assert answer.ok
        db = Database(url, population=configured_register(
            {"EPH_POPULATION_URL": register_url, "EPH_POPULATION_TOKEN": TOKEN}))
        now = utcnow()
        offer = services.assign_offer(db.uow(), commands.CallContext(str(uuid.uuid4()), demo.EHR_A, now),
                                      commands.AssignOffer(patient, "CTNG", demo.CARE_GIVER_A, demo.CARE_UNIT_A,
                                                           Actor(ActorKind.STAFF, "SE2321000016-ST01")))
        order = services.create_order(
            db.uow(), commands.CallContext(str(uuid.uuid4()), demo.CITIZEN_SERVICE, now),
            commands.CreateOrder(offer.offer_id, patient, SamplingMode.HOME_KIT, sampling_unit=demo.SITE_A_CENTRE,
                                 contact_phone=PHONE_NUMBER))
        db.dispose()
        assert order.order_id is not None and order.referral_id is not None
        yield Web(web_url, patient, order.order_id, order.referral_id)


@pytest.fixture()
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="sv-SE", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield ctx
    ctx.close()


def checked(page: Page, name: str) -> None:
    """axe-core, a screenshot, and no sideways scrolling at 390 px."""
    check_page(page, name, folder=ARTIFACTS / "protected")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def test_the_marking_on_a_phone(phone: BrowserContext, web: Web) -> None:
    page = phone.new_page()
    page.goto(web.base_url + "/login")
    page.get_by_label("HSA-id").fill("SE2321000016-SSK1")
    page.get_by_label("Lösenord").fill(demo.DEMO_STAFF_PASSWORD)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(web.base_url + "/")

    page.goto(web.base_url + "/patient")
    page.get_by_label("Personnummer eller samordningsnummer").fill(web.patient.id)
    page.get_by_role("button", name="Sök patient").click()
    expect(page.locator("#patient-heading .tag.protected")).to_have_text("Skyddad identitet")
    expect(page.locator("#protected-note")).to_be_visible()
    checked(page, "patient page, protected")

    page.goto(web.base_url + "/sampling")
    page.get_by_label("Personnummer eller remisskod").fill(web.referral_id)
    page.get_by_role("button", name="Sök beställning").click()
    expect(page.locator("tbody .tag.protected")).to_have_text("Skyddad identitet")
    checked(page, "sampling desk list, protected")

    page.goto(f"{web.base_url}/sampling/order/{web.order_id}")
    expect(page.locator(".facts .tag.protected")).to_have_text("Skyddad identitet")
    expect(page.get_by_text(PHONE_NUMBER)).to_be_visible()
    checked(page, "sampling order, protected")
