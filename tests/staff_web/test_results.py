"""Results typed in on the staff web, through Flask's test client over a real database: the
worklist and its search, the form per analysis (findings, quantities, limits, reference
intervals), refusals shown on the field they concern with what was typed kept, corrections,
withdrawals, and where a saved result went."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from eph import demo
from service_domain import commands, services
from service_domain.clock import SWEDISH_TZ, utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisStatus,
    Bound,
    Interpretation,
    Interval,
    OfferDefinition,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
)
from service_domain.persistence.database import Database
from staff_web.result_entry import decimal_text
from tests.conftest import seeded
from tests.support import person_number

from .test_app import csrf, login, web_client

RESULTS = "SE2321000016-SSK2"  # RESULTS and FOLLOW_UP at care unit A
DETECTED = "1.2.752.116.2.1.1|260373001"
NOT_DETECTED = "1.2.752.116.2.1.1|260415000"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('web')) / 'eph.sqlite3'}"))
    yield database
    database.dispose()


@pytest.fixture()
def client(db: Database) -> FlaskClient:
    c = web_client(db)
    login(c, RESULTS)
    return c


def place(db: Database, code: str = "CTNG", lab: str = demo.LAB_A3, sampled: bool = True) -> tuple[str, str, PersonId]:
    p = PersonId(person_number(date(1990, 5, 6)))
    offer = services.assign_offer(db.uow(), commands.CallContext("x", demo.EHR_A, utcnow()),
                                  commands.AssignOffer(p, code, demo.CARE_GIVER_A, demo.CARE_UNIT_A,
                                                       Actor(ActorKind.STAFF, "SE2321000016-ST01")))
    order = services.create_order(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                                  commands.CreateOrder(offer.offer_id or "", p, SamplingMode.SITE, performing_lab=lab))
    assert order.order_id
    assert order.referral_id
    if sampled:
        services.set_order_status(
            db.uow(), commands.CallContext("x", demo.SAMPLING_A, utcnow()),
            commands.SetOrderStatus(order.order_id, OrderStatus.SPECIMEN_COLLECTED, utcnow(),
                                    Actor(ActorKind.SYSTEM, demo.SAMPLING_A), demo.SAMPLING_A,
                                    specimens=(Specimen(f"TUB{order.order_id[:6].upper()}"),)))
    return order.order_id, order.referral_id, p


def now_field() -> str:
    return datetime.now(SWEDISH_TZ).strftime("%Y-%m-%dT%H:%M")


def ctng_form(client: FlaskClient, order_id: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf(client, f"/results/{order_id}"), "based_on": "0", "report": "FINAL", "report_time": now_field(),
        "a1-kind": "coded", "a1-coded": DETECTED, "a1-interpretation": "POSITIVE", "a1-limit_op": "<",
        "a2-kind": "coded", "a2-coded": NOT_DETECTED, "a2-interpretation": "NEGATIVE", "a2-limit_op": "<",
    }
    form.update(fields)
    return form


def hba1c_form(client: FlaskClient, order_id: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf(client, f"/results/{order_id}"), "based_on": "0", "report": "FINAL", "report_time": now_field(),
        "a1-kind": "quantity", "a1-value": "48,0", "a1-unit": "mmol/mol", "a1-interpretation": "HIGH",
        "a1-ref_low": "27", "a1-ref_high": "42", "a1-limit_op": "<",
    }
    form.update(fields)
    return form


def stored(db: Database, order_id: str) -> list[Any]:
    with db.uow() as uow:
        return uow.results.versions(order_id)


def checked(page: str, name: str, value: str) -> bool:
    return any(f'value="{value}"' in tag and "checked" in tag
               for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page))


def error_of(page: str, field_id: str) -> str:
    """The error message tied to a field (aria-describedby), and that the field points to it."""
    m = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    assert m, f"no error for {field_id}"
    assert re.search(rf'id="{field_id}(-\d+)?"[^>]*aria-describedby="[^"]*{field_id}-error|'
                     rf'aria-describedby="[^"]*{field_id}-error"[^>]*id="{field_id}(-\d+)?"', page), field_id
    return m.group(1)


def test_only_results_staff_see_the_worklist_and_it_shows_no_identity(client: FlaskClient, db: Database) -> None:
    order_id, referral, p = place(db)
    connected_id, connected_referral, _ = place(db, lab=demo.LAB_A)
    page = client.get("/results")
    assert page.status_code == 200
    assert 'aria-current="page">Provsvar' in page.text
    assert referral in page.text
    assert connected_referral not in page.text
    assert p.id not in page.text
    assert p.id[:8] not in page.text
    assert client.get(f"/results/{connected_id}").status_code == 403  # its lab system sends the result
    other = client.application.test_client()
    login(other, "SE2321000016-SSK1")  # ASSIGN and SAMPLING
    assert other.get("/results").status_code == 403
    assert other.get(f"/results/{order_id}").status_code == 403
    assert "Provsvar" not in other.get("/").text


def test_the_worklist_search_finds_an_order_by_referral_code(client: FlaskClient, db: Database) -> None:
    order_id, referral, _ = place(db, sampled=False)
    assert client.post("/results", data={"referral": referral}).status_code == 400  # no CSRF token
    r = client.post("/results", data={"csrf_token": csrf(client, "/results"), "referral": f" {referral.lower()} "})
    assert r.status_code == 302
    assert r.headers["Location"] == f"/results/{order_id}"
    r = client.post("/results", data={"csrf_token": csrf(client, "/results"), "referral": "XXXXXXXX"})
    assert r.status_code == 400
    assert "Ingen beställning med den remisskoden" in r.text


def test_a_positive_chlamydia_result_goes_to_follow_up(client: FlaskClient, db: Database) -> None:
    order_id, referral, p = place(db)
    page = client.get(f"/results/{order_id}").text
    assert p.id[:8] in page  # the opened order shows the patient: check it against the lab's report
    assert "Påvisad" in page
    assert "Ej påvisad" in page
    assert checked(page, "a1-kind", "coded")
    with db.uow() as uow:
        assert [r.operation for r in uow.audit.for_patient(p.id) if r.actor_id == RESULTS] == ["ResultOrder"]
    assert client.post(f"/results/{order_id}", data={**ctng_form(client, order_id), "csrf_token": ""}).status_code == 400
    r = client.post(f"/results/{order_id}", data=ctng_form(client, order_id, **{"a1-comment": "Svar per telefon"}))
    assert r.status_code == 302
    assert r.headers["Location"] == f"/results/{order_id}?sparad=1"
    page = client.get(r.headers["Location"]).text
    assert "Version 1 är sparad." in page
    assert "kön Uppföljning" in page
    assert 'href="/followup"' in page
    (version,) = stored(db, order_id)
    result = version.result
    assert (result.version, result.report_status, result.performing_lab) == (1, ReportStatus.FINAL, demo.LAB_A3)
    assert result.signed_by == Actor(ActorKind.STAFF, RESULTS, "Fredrik Uppföljare")
    assert result.specimen_identifiers == (f"TUB{order_id[:6].upper()}",)
    ct, ng = result.analysis_results
    assert (ct.value, ct.interpretation, ct.status, ct.comment) == (
        demo.DETECTED, Interpretation.POSITIVE, AnalysisStatus.FINAL, "Svar per telefon")
    assert (ng.value, ng.interpretation) == (demo.NOT_DETECTED, Interpretation.NEGATIVE)
    assert not version.released
    assert referral in client.get("/followup").text
    with db.uow() as uow:
        writes = [(r.operation, r.care_unit) for r in uow.audit.for_patient(p.id) if r.action == "WRITE"
                  and r.actor_id == RESULTS]
    assert writes == [("SetResult", demo.CARE_UNIT_A)]


def test_a_notifiable_finding_needs_an_interpretation_that_fits_it(client: FlaskClient, db: Database) -> None:
    order_id, _, _ = place(db)
    r = client.post(f"/results/{order_id}", data=ctng_form(client, order_id, **{
        "a1-interpretation": "NEGATIVE", "a2-interpretation": "", "a1-comment": "skrivet"}))
    assert r.status_code == 400
    assert "kan inte bedömas som negativt" in error_of(r.text, "a1-interpretation")
    assert "släpps direkt bara när bedömningen är Negativ" in error_of(r.text, "a2-interpretation")
    assert "Svaret är inte sparat." in r.text
    assert 'href="#a2-interpretation"' in r.text  # a summary that leads there
    # what was typed is kept
    assert re.search(rf'<option selected value="{re.escape(DETECTED)}">', r.text)
    assert re.search(r">\s*skrivet</textarea>", r.text)
    assert stored(db, order_id) == []


def test_a_quantity_with_its_unit_and_reference_interval(client: FlaskClient, db: Database) -> None:
    order_id, _, p = place(db, "HBA1C")
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id, **{"a1-unit": "mmol / mol"}))
    assert r.status_code == 400
    assert "inte skriven i UCUM" in error_of(r.text, "a1-unit")  # the service's check
    assert 'value="48,0"' in r.text
    assert 'value="mmol / mol"' in r.text
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id, **{"a1-value": "1e3", "a1-ref_high": "x"}))
    assert r.status_code == 400
    assert "Skriv ett tal" in error_of(r.text, "a1-value")
    assert "Skriv ett tal" in error_of(r.text, "a1-ref_high")
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id, **{"a1-ref_low": "50"}))
    assert r.status_code == 400
    assert "högsta värdet är lägre" in error_of(r.text, "a1-ref_high")  # the service's check
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id))
    assert r.status_code == 302
    (version,) = stored(db, order_id)
    (a,) = version.result.analysis_results
    assert a.value == Quantity("48.0", "mmol/mol")  # as written, with the contract's decimal point
    assert a.reference_interval == Interval(Bound("27", "mmol/mol"), Bound("42", "mmol/mol"))  # the value's unit
    assert version.released  # HbA1c is released at once
    page = client.get(r.headers["Location"]).text
    assert "48,0 mmol/mol" in page
    assert "27–42 mmol/mol" in page
    assert "släppt till patienten" in page
    # the patient page shows it the same way
    patient = client.application.test_client()
    login(patient, RESULTS)
    patient.post("/patient", data={"csrf_token": csrf(patient, "/patient"), "number": p.id})
    assert "48,0 mmol/mol" in patient.get("/patient").text


def test_a_result_released_after_review_goes_to_the_review_queue(client: FlaskClient, db: Database) -> None:
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), [OfferDefinition(
        demo.CARE_GIVER_A, "HBA1C-REVIEW", "HbA1c, granskas", (demo.HBA1C,), (SamplingMode.SITE,), False,
        ResultRelease.AFTER_REVIEW, 30, 1, demo.LAB_A3)])
    order_id, referral, _ = place(db, "HBA1C-REVIEW")
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id))
    page = client.get(r.headers["Location"]).text
    assert "kön Granskning" in page
    assert 'href="/review"' in page
    assert "Väntar på granskning" in page
    assert referral in client.get("/review").text


def test_a_limit_a_text_and_cannot_be_done(client: FlaskClient, db: Database) -> None:
    order_id, _, _ = place(db)
    r = client.post(f"/results/{order_id}", data=ctng_form(client, order_id, **{
        "report": "PRELIMINARY", "a1-kind": "interval", "a1-limit_op": "<", "a1-limit_value": "0,5",
        "a1-limit_unit": "10*3{copies}/mL", "a1-interpretation": "NEGATIVE",
        "a2-kind": "none"}))
    assert r.status_code == 302
    (v1,) = stored(db, order_id)
    assert v1.result.report_status is ReportStatus.PRELIMINARY
    assert len(v1.result.analysis_results) == 1
    (a,) = v1.result.analysis_results
    assert a.status is AnalysisStatus.PRELIMINARY
    assert a.value == Interval(high=Bound("0.5", "10*3{copies}/mL", inclusive=False))
    page = client.get(f"/results/{order_id}").text
    assert "&lt; 0,5 10*3{copies}/mL" in page
    # the form starts from it
    assert checked(page, "a2-kind", "none")
    assert checked(page, "a1-kind", "interval")
    # a final result answers every analysis
    r = client.post(f"/results/{order_id}", data=ctng_form(client, order_id, based_on="1", **{"a2-kind": "none"}))
    assert r.status_code == 400
    assert "Ett slutligt svar har ett svar för varje analys" in error_of(r.text, "a2-kind")
    r = client.post(f"/results/{order_id}", data=ctng_form(client, order_id, based_on="1", **{
        "a1-kind": "text", "a1-text": "Svagt positiv, ny provtagning rekommenderas", "a1-interpretation": "INCONCLUSIVE",
        "a2-kind": "not_done", "a2-comment": "För lite material"}))
    assert r.status_code == 302
    v2 = stored(db, order_id)[1].result
    ct, ng = v2.analysis_results
    assert (ct.value, ng.status, ng.value, ng.comment) == (
        "Svagt positiv, ny provtagning rekommenderas", AnalysisStatus.CANNOT_BE_DONE, None, "För lite material")
    assert "Kan inte utföras" in client.get(f"/results/{order_id}").text


def test_a_correction_is_a_new_version_and_a_stale_form_saves_nothing(client: FlaskClient, db: Database) -> None:
    order_id, _, _ = place(db, "HBA1C")
    client.post(f"/results/{order_id}", data=hba1c_form(client, order_id))
    page = client.get(f"/results/{order_id}").text
    # starts from the newest version
    assert "Rätta svaret (version 2)" in page
    assert 'value="48,0"' in page
    assert 'name="report"' not in page  # a change to a final result is a correction
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id, **{"a1-value": "46"}))  # based on 0
    assert r.status_code == 409
    assert "Under tiden har någon annan sparat" in r.text
    assert 'value="46"' in r.text
    assert len(stored(db, order_id)) == 1
    r = client.post(f"/results/{order_id}", data=hba1c_form(client, order_id, based_on="1", **{
        "a1-value": "46", "a1-interpretation": "HIGH"}))
    assert r.status_code == 302
    assert r.headers["Location"].endswith("sparad=2")
    versions = stored(db, order_id)
    assert [v.result.report_status for v in versions] == [ReportStatus.FINAL, ReportStatus.CORRECTED]
    assert versions[1].result.analysis_results[0].value == Quantity("46", "mmol/mol")


def test_a_version_sent_in_error_is_withdrawn(client: FlaskClient, db: Database) -> None:
    order_id, _, p = place(db, "HBA1C")
    client.post(f"/results/{order_id}", data=hba1c_form(client, order_id))
    path = f"/results/{order_id}/withdraw"
    r = client.post(path, data={"csrf_token": csrf(client, f"/results/{order_id}"), "version": "1", "comment": "Fel patient"})
    assert r.status_code == 400
    assert "Bekräfta" in error_of(r.text, "confirm")
    assert client.post(path, data={"version": "1", "comment": "x", "confirm": "y"}).status_code == 400  # no CSRF token
    r = client.post(path, data={"csrf_token": csrf(client, f"/results/{order_id}"), "version": "1",
                                "comment": "Svaret hörde till en annan patient", "confirm": "y"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith("sparad=2")
    newest = stored(db, order_id)[-1].result
    assert newest.is_withdrawal
    assert newest.report_status is ReportStatus.CORRECTED
    assert newest.comment == "Svaret hörde till en annan patient"
    page = client.get(r.headers["Location"]).text
    assert "återkallelse" in page
    assert "Återkallat (registrerades av misstag)" in page
    assert "Återkalla version 2" not in page  # a withdrawal is not withdrawn
    citizen = services.get_results(db.uow(), commands.CallContext("x", demo.CITIZEN_SERVICE, utcnow()),
                                   commands.GetResults(p))
    assert citizen[0].result is not None
    assert citizen[0].result.is_withdrawal


def test_decimals_are_written_as_the_contract_writes_them() -> None:
    assert [decimal_text(t) for t in ("5,2", " 0.05 ", "-1", ".5", "48,0")] == ["5.2", "0.05", "-1", ".5", "48.0"]
    assert [decimal_text(t) for t in ("1e3", "NaN", "5,2,1", "", "1 000", "Infinity")] == [None] * 6
