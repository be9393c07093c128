"""The citizen web's page of notices (Aviseringar), with Flask's test client against a real
platform and service: the patient sees the current choice, chooses e-mail, SMS or none, and
reads plain Swedish when an address will not do; no address reaches the web's log."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from consumers.citizen_web import texts
from consumers.citizen_web.app import create_app
from consumers.citizen_web.config import CitizenWebConfig
from consumers.citizen_web.session import new_key
from tests.support import PlatformProcess, patient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def web(demo_platform: PlatformProcess) -> FlaskClient:
    config = CitizenWebConfig(dev_login=True, platform=demo_platform.base_url, instance_id=demo_platform.instance_id)
    c = create_app(config, session_key=new_key()).test_client()
    c.post("/logga-in", data={"csrf_token": token(c, "/logga-in"), "personnummer": patient()["id"]})
    return c


def token(c: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).get_data(as_text=True))
    assert match is not None
    return match.group(1)


def save(c: FlaskClient, **form: str) -> Any:
    return c.post("/aviseringar", data={"csrf_token": token(c, "/aviseringar"), **form})


def current(c: FlaskClient) -> str:
    match = re.search(r'<p id="current">(.*?)</p>', c.get("/aviseringar").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_a_patient_who_never_chose_gets_none(web: FlaskClient) -> None:
    assert current(web) == texts.NOTICES_OFF


def test_the_menu_links_to_the_page(web: FlaskClient) -> None:
    assert 'href="/aviseringar"' in web.get("/").get_data(as_text=True)


def test_choosing_sms_shows_the_number_as_written_in_sweden(web: FlaskClient) -> None:
    save(web, channel="SMS", mobile="+46 70 123 45 67")
    assert current(web) == "Du får aviseringar med sms till 070-123 45 67."


def test_choosing_e_mail_shows_the_address(web: FlaskClient) -> None:
    save(web, channel="EMAIL", email="tolvan@example.se")
    assert current(web) == "Du får aviseringar med e-post till tolvan@example.se."


def test_a_saved_choice_says_so(web: FlaskClient) -> None:
    answer = save(web, channel="EMAIL", email="tolvan@example.se")
    assert texts.NOTICES_SAVED in web.get(answer.headers["Location"]).get_data(as_text=True)


def test_notices_can_be_turned_off(web: FlaskClient) -> None:
    save(web, channel="EMAIL", email="tolvan@example.se")
    save(web, channel="NONE", email="tolvan@example.se")
    assert current(web) == texts.NOTICES_OFF


def test_e_mail_without_an_address_is_asked_for_in_swedish(web: FlaskClient) -> None:
    answer = save(web, channel="EMAIL")
    assert texts.NOTICE_ERRORS["email"] in answer.get_data(as_text=True)


def test_an_address_the_service_refuses_is_named_in_swedish(web: FlaskClient) -> None:
    answer = save(web, channel="EMAIL", email="tolvan@example")
    assert texts.NOTICE_ERRORS["email"] in answer.get_data(as_text=True)


def test_a_number_that_is_not_a_mobile_is_named_in_swedish(web: FlaskClient) -> None:
    answer = save(web, channel="SMS", mobile="08-123 456 78")
    assert texts.NOTICE_ERRORS["mobile"] in answer.get_data(as_text=True)


def test_a_refused_address_keeps_the_choice_unchanged(web: FlaskClient) -> None:
    save(web, channel="SMS", mobile="08-123 456 78")
    assert current(web) == texts.NOTICES_OFF


def test_a_form_without_its_token_is_refused(web: FlaskClient) -> None:
    assert web.post("/aviseringar", data={"channel": "NONE"}).status_code == 400


def test_the_web_s_log_holds_no_address(web: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    # the web's own log, at the most it says (zeep's debug output of whole messages is off in service)
    with caplog.at_level(logging.DEBUG, logger="eph"):
        save(web, channel="EMAIL", email="tolvan.hemlig@example")
        save(web, channel="SMS", mobile="070-765 43 21")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("eph")]
    assert not [line for line in lines if "hemlig" in line or "765" in line]
