"""The patient's own copy through the real platform and service (the citizen web in Flask's test
client): what the downloads hold and how they are sent, the calls the service audits, the
orders and the access log read over all their pages, and a service that cannot answer."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from consumers import CitizenService
from consumers.citizen_web import own_copy, texts
from consumers.roles import timestamp
from eph import demo
from tests.browser.citizen import ResultStory, connection, released_and_held
from tests.support import PlatformProcess, free_port

from .test_citizen_web import client, log_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def story(demo_platform: PlatformProcess) -> ResultStory:
    return released_and_held(demo_platform)


@pytest.fixture()
def web(demo_platform: PlatformProcess, story: ResultStory) -> Iterator[FlaskClient]:
    c = client(platform=demo_platform.base_url, instance_id=demo_platform.instance_id)
    log_in(c, story.patient)
    yield c


def download(web: FlaskClient, kind: str) -> Any:
    answer = web.get(f"/mina-uppgifter/kopia.{kind}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_the_json_copy_holds_the_released_result_only(web: FlaskClient, story: ResultStory) -> None:
    data = json.loads(download(web, "json").data)
    assert [r["referralId"] for r in data["results"]] == [story.released_referral]


def test_the_json_copy_holds_every_order(web: FlaskClient, story: ResultStory) -> None:
    data = json.loads(download(web, "json").data)
    assert {o["referralId"] for o in data["orders"]} == {story.released_referral, story.held_referral}


def test_the_held_order_reads_as_at_the_lab(web: FlaskClient, story: ResultStory) -> None:
    data = json.loads(download(web, "json").data)
    [held] = [o for o in data["orders"] if o["referralId"] == story.held_referral]
    assert held["statusText"] == texts.NOT_YET


def test_a_site_order_names_its_site(web: FlaskClient, story: ResultStory) -> None:
    data = json.loads(download(web, "json").data)
    [held] = [o for o in data["orders"] if o["referralId"] == story.held_referral]
    assert held["samplingSite"]["name"] == "Provtagningen Centrum"


def test_the_pdf_copy_has_the_corrected_result_and_no_finding(web: FlaskClient, story: ResultStory) -> None:
    text = " ".join(pdf_text(download(web, "pdf").data).split())
    assert "46 mmol/mol" in text
    assert "påvisad" not in text


def test_the_pdf_copy_has_the_assigned_offer(web: FlaskClient) -> None:
    assert "Långtidsblodsocker (HbA1c)" in pdf_text(download(web, "pdf").data)


@pytest.mark.parametrize(("kind", "mimetype"), [("pdf", "application/pdf"), ("json", "application/json")])
def test_a_copy_is_an_attachment_never_stored(web: FlaskClient, story: ResultStory, kind: str, mimetype: str) -> None:
    answer = download(web, kind)
    disposition = answer.headers["Content-Disposition"]
    assert (answer.mimetype, answer.headers["Cache-Control"]) == (mimetype, "no-store")
    assert re.fullmatch(rf'attachment; filename="mina-uppgifter-\d{{4}}-\d\d-\d\d\.{kind}"', disposition)


def test_the_copy_s_reads_are_in_the_access_log(web: FlaskClient, story: ResultStory,
                                                  demo_platform: PlatformProcess) -> None:
    before = timestamp()
    download(web, "json")
    citizen = CitizenService(connection(demo_platform, demo.CITIZEN_SERVICE))
    audited = {e.interaction for e in citizen.access_log(story.patient)
               if e.systemHSAId == demo.CITIZEN_SERVICE and e.action == "READ" and e.time >= before}
    assert {"GetOffers", "GetOrders", "GetResults", "GetNoticeSettings", "GetAccessLog"} <= audited


def test_the_copy_s_own_reads_are_in_its_access_log(web: FlaskClient) -> None:
    data = json.loads(download(web, "json").data)
    assert "Läste dina provsvar" in {e["what"] for e in data["accessLog"] if e["system"] == texts.OWN_SYSTEM}


def test_the_copy_reads_every_page(web: FlaskClient, story: ResultStory, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = json.loads(download(web, "json").data)
    monkeypatch.setattr(own_copy, "ORDER_PAGE_SIZE", 1)
    monkeypatch.setattr(own_copy, "LOG_PAGE_SIZE", 2)
    paged = json.loads(download(web, "json").data)
    assert len(paged["orders"]) == len(whole["orders"])
    # the later copy's log has the earlier copy's reads too: at least every entry it had
    assert len(paged["accessLog"]) > len(whole["accessLog"])


def test_the_web_logs_nothing_personal(web: FlaskClient, story: ResultStory, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="eph.citizen_web"):
        download(web, "pdf")
    assert caplog.text
    assert story.patient not in caplog.text and story.patient[:8] not in caplog.text


def test_no_file_when_the_service_cannot_answer(story: ResultStory) -> None:
    c = client(platform=f"http://127.0.0.1:{free_port()}")
    log_in(c, story.patient)
    answer = c.get("/mina-uppgifter/kopia.pdf")
    assert (answer.status_code, answer.mimetype) == (503, "text/html")
    assert "Content-Disposition" not in answer.headers
    assert "ingen fil skapades" in answer.get_data(as_text=True)


def test_the_page_links_both_files(web: FlaskClient) -> None:
    page = web.get("/mina-uppgifter").get_data(as_text=True)
    assert re.findall(r'href="(/mina-uppgifter/kopia\.\w+)"', page) == ["/mina-uppgifter/kopia.pdf",
                                                                      "/mina-uppgifter/kopia.json"]


def test_another_kind_of_file_is_not_found(web: FlaskClient) -> None:
    assert web.get("/mina-uppgifter/kopia.csv").status_code == 404
