"""The whole workflow over real HTTP, with zeep clients, on SQLite and on PostgreSQL.

assign -> order (site and home kit) -> fetch by patient, by referral id and by lab
with paging -> status updates -> preliminary and final result -> correction ->
patient reads; care giver separation; unreleased results never reach the citizen
service; every patient-data access audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import zeep
import zeep.exceptions

from eph import demo
from service_domain import services
from service_domain.clock import SWEDISH_TZ, utcnow
from service_domain.model import FollowUpStatus, SamplingSite
from service_domain.persistence.database import Database
from tests.support import (
    CHECK,
    ISSUED_PERSON_IDS,
    ServiceProcess,
    Soap,
    iter_pages,
    patient,
    platform_session,
    unique_hsa,
)

STAFF = {"actorType": "STAFF", "id": "SE2321000016-ST01", "name": "Doktor Demo"}
ADDRESS = {"name": "Test Testsson", "street": "Storgatan 1", "postalCode": "111 22", "city": "Stockholm"}


def new_site(db: Database, lab: str = demo.LAB_A) -> str:
    """A sampling site of this test's own in care giver A's register; its specimens go to ``lab``."""
    unit = unique_hsa()
    services.register_sampling_sites(db.uow(), [SamplingSite(
        unit, f"Testplats {unit[-4:]}", demo.CARE_GIVER_A, "Testgatan 1", "111 22", "Stockholm", lab)])
    return unit


def ts(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(SWEDISH_TZ) + delta).strftime("%Y%m%d%H%M%S")


def ok(response: Any, code: str = "OK") -> Any:
    assert response.result.resultCode == code, response.result
    return response


def refused(response: Any, error: str, sub_code: str | None = None) -> None:
    r = response.result
    assert (r.resultCode, r.errorCode, r.subCode) == ("ERROR", error, sub_code), r
    assert r.logId


def analysis_result(code: dict[str, str], **value: Any) -> dict[str, Any]:
    return {"code": code, "status": "FINAL", **value}


HBA1C = {"code": "NPU27300", "codeSystem": "1.2.752.108.1"}
CT = {"code": "CT-NAAT", "codeSystem": demo.LOCAL_ANALYSIS_CODES}
NG = {"code": "NG-NAAT", "codeSystem": demo.LOCAL_ANALYSIS_CODES}
POSITIVE = {"code": demo.DETECTED.code, "codeSystem": demo.SNOMED_CT_SE, "displayName": "påvisad"}
NEGATIVE = {"code": demo.NOT_DETECTED.code, "codeSystem": demo.SNOMED_CT_SE, "displayName": "ej påvisad"}


def hba1c_result(order_id: str, version: int, report: str, value: str) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "laboratoryId": f"LAB-{order_id[:8]}",
        "performingLabHSAId": demo.LAB_A,
        "resultVersion": version,
        "reportStatus": report,
        "reportTime": ts(timedelta(minutes=-1)),
        "signedBy": {"actorType": "STAFF", "id": "SE2321000016-BMA1"},
        "analysisResult": [
            analysis_result(
                HBA1C,
                displayName="HbA1c",
                pq={"value": Decimal(value), "unit": "mmol/mol"},
                referenceInterval={"low": {"value": Decimal("27"), "unit": "mmol/mol"},
                                   "high": {"value": Decimal("42"), "unit": "mmol/mol"}},
                interpretation="NORMAL" if Decimal(value) <= 42 else "HIGH",
            )
        ],
    }


@pytest.fixture()
def as_ehr(service: ServiceProcess) -> Soap:
    return Soap(service.base_url, demo.EHR_A)


@pytest.fixture()
def as_citizen(service: ServiceProcess) -> Soap:
    return Soap(service.base_url, demo.CITIZEN_SERVICE)


@pytest.fixture()
def as_lab(service: ServiceProcess) -> Soap:
    return Soap(service.base_url, demo.LAB_A)


@pytest.fixture()
def as_lab_b(service: ServiceProcess) -> Soap:
    return Soap(service.base_url, demo.LAB_B)


@pytest.fixture()
def as_sampling(service: ServiceProcess) -> Soap:
    return Soap(service.base_url, demo.SAMPLING_A)


def test_the_whole_story(
    service: ServiceProcess,
    db: Database,
    as_ehr: Soap,
    as_citizen: Soap,
    as_lab: Soap,
    as_lab_b: Soap,
    as_sampling: Soap,
) -> None:
    calls_before = len(CHECK.calls)
    p = patient()
    site_unit = new_site(db)

    # --- the EHR reads the catalogue and assigns two offers
    catalogue = as_ehr("GetOfferCatalog", careGiverHSAId=demo.CARE_GIVER_A).offerDefinition
    # the demo's two entries (the browser tests, on the same database, may have added their own)
    assert {d.offerCode for d in catalogue} >= {"CTNG", "HBA1C"}
    ctng = next(d for d in catalogue if d.offerCode == "CTNG")
    assert (ctng.notifiable, ctng.resultRelease, ctng.samplingMode) == (
        True, "AFTER_FOLLOW_UP_IF_POSITIVE", ["HOME_KIT", "SITE"])
    offers = {}
    for code in ("CTNG", "HBA1C"):
        r = ok(as_ehr("AssignOffer", patientId=p, offerCode=code, careGiverHSAId=demo.CARE_GIVER_A,
                      accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF, comment="Demo"))
        offers[code] = r.offerId

    # --- the patient sees them in 1177 and orders a home kit and a site sampling
    seen = as_citizen("GetOffers", patientId=p, status=["ACTIVE"]).offer
    assert {o.offerId: o.offerCode for o in seen} == {offers["CTNG"]: "CTNG", offers["HBA1C"]: "HBA1C"}
    home = ok(as_citizen("CreateOrder", offerId=offers["CTNG"], patientId=p, samplingMode="HOME_KIT",
                         deliveryAddress=ADDRESS, contactPhone="+46 70 123 45 67"))
    again = ok(as_citizen("CreateOrder", offerId=offers["CTNG"], patientId=p, samplingMode="HOME_KIT",
                          deliveryAddress=ADDRESS), "INFO")
    assert (again.orderId, again.referralId) == (home.orderId, home.referralId)
    site = ok(as_citizen("CreateOrder", offerId=offers["HBA1C"], patientId=p, samplingMode="SITE",
                         samplingUnitHSAId=site_unit))
    assert len(site.referralId) == 8
    assert not set(site.referralId) & set("0O1IL2Z5S8B")

    # --- the sampling site finds the order by referral id (any case) and by patient
    (by_ref,) = as_sampling("GetOrders", referralId=[site.referralId.lower()]).order
    assert (by_ref.orderId, by_ref.status, by_ref.samplingUnitHSAId) == (site.orderId, "ORDERED", site_unit)
    by_patient = as_sampling("GetOrders", patientId=p).order
    assert {o.orderId for o in by_patient} == {home.orderId, site.orderId}
    by_unit = as_sampling("GetOrders", samplingUnitHSAId=site_unit).order
    assert [o.orderId for o in by_unit] == [site.orderId]
    home_order = next(o for o in by_patient if o.orderId == home.orderId)
    assert home_order.deliveryAddress.city == "Stockholm"
    assert home_order.samplingMode == "HOME_KIT"

    # --- status updates: the kit goes out, specimens are collected and received
    ok(as_lab("SetOrderStatus", orderId=home.orderId, status="KIT_SENT", eventTime=ts(timedelta(hours=-3)),
              performedBy={"actorType": "SYSTEM", "id": demo.LAB_A}, performingUnitHSAId=demo.LAB_A))
    refused(as_lab("SetOrderStatus", orderId=site.orderId, status="KIT_SENT", eventTime=ts(),
                   performedBy={"actorType": "SYSTEM", "id": demo.LAB_A}, performingUnitHSAId=demo.LAB_A),
            "APPLICATION_ERROR", "EPH003")
    ok(as_sampling("SetOrderStatus", orderId=site.orderId, status="SPECIMEN_COLLECTED", eventTime=ts(timedelta(hours=-2)),
                   performedBy={"actorType": "STAFF", "id": "SE2321000016-SSK1"}, performingUnitHSAId=site_unit,
                   specimen=[{"identifier": "BC1000001", "material": {"code": "119297000",
                              "codeSystem": demo.SNOMED_CT_SE}, "collectedTime": ts(timedelta(hours=-2))}]))
    # the patient took the home kit's specimen, but the lab reports it: the lab names itself (a
    # system may not name the patient; the patient's access log shows who made each change)
    ok(as_lab("SetOrderStatus", orderId=home.orderId, status="SPECIMEN_COLLECTED", eventTime=ts(timedelta(hours=-2)),
              performedBy={"actorType": "SYSTEM", "id": demo.LAB_A}, performingUnitHSAId=demo.LAB_A,
              specimen=[{"identifier": "BC1000002"}]))
    for oid in (site.orderId, home.orderId):
        ok(as_lab("SetOrderStatus", orderId=oid, status="RECEIVED_BY_LAB", eventTime=ts(timedelta(hours=-1)),
                  performedBy={"actorType": "SYSTEM", "id": demo.LAB_A}, performingUnitHSAId=demo.LAB_A))

    # --- care giver B's lab sees none of it and may touch none of it
    assert as_lab_b("GetOrders", patientId=p).order == []
    assert as_lab_b("GetOrders", orderId=[site.orderId, home.orderId]).order == []
    assert as_lab_b("GetOrders", referralId=[site.referralId]).order == []
    refused(as_lab_b("SetOrderStatus", orderId=site.orderId, status="REJECTED", eventTime=ts(),
                     performedBy={"actorType": "SYSTEM", "id": demo.LAB_B}, performingUnitHSAId=demo.LAB_B,
                     reason={"code": "HEMOLYZED", "codeSystem": demo.REJECTION_REASONS}),
            "APPLICATION_ERROR", "EPH006")
    refused(as_lab_b("SetResult", laboratoryResult=hba1c_result(site.orderId, 1, "FINAL", "40")),
            "APPLICATION_ERROR", "EPH006")

    # --- the lab reports: preliminary, final, then a correction
    preliminary = hba1c_result(site.orderId, 1, "PRELIMINARY", "45")  # built once: its reportTime is now
    ok(as_lab("SetResult", laboratoryResult=preliminary))
    ok(as_lab("SetResult", laboratoryResult=preliminary), "INFO")
    refused(as_lab("SetResult", laboratoryResult=hba1c_result(site.orderId, 1, "PRELIMINARY", "46")),
            "APPLICATION_ERROR", "EPH005")
    ok(as_lab("SetResult", laboratoryResult=hba1c_result(site.orderId, 2, "FINAL", "44")))
    refused(as_lab("SetResult", laboratoryResult=hba1c_result(site.orderId, 1, "FINAL", "44")),
            "APPLICATION_ERROR", "EPH005")
    ok(as_lab("SetResult", laboratoryResult=hba1c_result(site.orderId, 3, "CORRECTED", "41")))
    # chlamydia positive, gonorrhoea negative: the result waits for follow-up
    ok(as_lab("SetResult", laboratoryResult={
        "orderId": home.orderId, "performingLabHSAId": demo.LAB_A, "resultVersion": 1, "reportStatus": "FINAL",
        "reportTime": ts(timedelta(minutes=-1)), "specimenIdentifier": ["BC1000002"],
        "analysisResult": [analysis_result(CT, coded=POSITIVE, interpretation="POSITIVE"),
                           analysis_result(NG, coded=NEGATIVE, interpretation="NEGATIVE")]}))

    # --- the patient reads: the corrected HbA1c, and the chlamydia order without its result
    results = {r.order.orderId: r for r in as_citizen("GetResults", patientId=p).orderResult}
    hb = results[site.orderId]
    assert (hb.releasedToPatient, hb.result.resultVersion, hb.result.reportStatus) == (True, 3, "CORRECTED")
    assert hb.result.analysisResult[0].pq.value == Decimal("41")
    assert hb.order.status == "FINAL_RESULT"
    held = results[home.orderId]
    assert (held.releasedToPatient, held.result, held.followUpRequired) == (False, None, False)
    # the EHR sees it, and that a follow-up is due
    ehr_view = {r.order.orderId: r for r in as_ehr("GetResults", patientId=p).orderResult}[home.orderId]
    assert ehr_view.followUpRequired
    assert ehr_view.result.analysisResult[0].interpretation == "POSITIVE"

    # --- staff close the follow-up: now the patient sees it
    with db.uow() as uow:
        (case,) = [c for c in uow.follow_ups.list(FollowUpStatus.OPEN.value) if c.order_id == home.orderId]
    from service_domain import services
    from service_domain.commands import CallContext
    from service_domain.model import Actor, ActorKind

    services.close_follow_up(db.uow(), CallContext("test", None, utcnow()), case.case_id,
                             Actor(ActorKind.STAFF, "SE2321000016-ST01"), "reached by letter only")
    released = {r.order.orderId: r for r in as_citizen("GetResults", patientId=p).orderResult}[home.orderId]
    assert released.releasedToPatient
    assert released.result.analysisResult[0].coded.code == POSITIVE["code"]

    # --- the history of the site order tells the story
    (final,) = as_lab("GetOrders", orderId=[site.orderId]).order
    assert [h.status for h in final.statusHistory] == [
        "ORDERED", "SPECIMEN_COLLECTED", "RECEIVED_BY_LAB", "PRELIMINARY_RESULT", "FINAL_RESULT", "FINAL_RESULT"]
    assert [s.identifier for s in final.specimen] == ["BC1000001"]

    # --- every call that returned or changed this patient's data left an audit record under its logId
    calls = CHECK.calls[calls_before:]
    assert len(calls) >= 30
    assert all(c["log_id"] for c in calls)
    with db.uow() as uow:
        for call in calls:
            audited = {r.patient_id for r in uow.audit.for_log_id(call["log_id"])}
            if call["operation"] == "GetOfferCatalog":
                assert audited == set()
            elif call["result_code"] in ("OK", "INFO"):  # an accepted write
                assert audited == {p["id"]}, call
            elif call["result_code"] is None:  # a read: everyone whose data came back
                assert call["patients_returned"] <= audited, call
        interactions = {r.operation for r in uow.audit.for_patient(p["id"])}
    assert {"GetOffers", "CreateOrder", "GetOrders", "SetOrderStatus", "SetResult", "GetResults",
            "AssignOffer"} <= interactions


def test_a_client_built_from_the_served_wsdl_fetches_the_demo_orders(service: ServiceProcess) -> None:
    from zeep.transports import Transport

    session = platform_session()
    session.headers["x-rivta-original-serviceconsumer-hsaid"] = demo.LAB_A
    client = zeep.Client(
        f"{service.base_url}/eph/clinicalprocess/activity/selfsampling/GetOrders/1/rivtabp21?wsdl",
        transport=Transport(session=session),
        settings=zeep.Settings(strict=True),
    )
    response = client.service.GetOrders(performingLabHSAId=demo.LAB_A, maxResults=1000,
                                        _soapheaders={"LogicalAddress": demo.SERVICE_ADDRESS})
    demo_patients = {o.patientId.id: o.offerCode for o in response.order
                     if o.patientId.id in demo.DEMO_PATIENTS.values()}
    assert demo_patients == {demo.DEMO_PATIENTS["A1"]: "CTNG", demo.DEMO_PATIENTS["A2"]: "HBA1C"}


def test_lab_polls_its_orders_with_paging(service: ServiceProcess, as_ehr: Soap, as_citizen: Soap, as_lab: Soap) -> None:
    mine = set()
    for _ in range(5):
        p = patient()
        offer = ok(as_ehr("AssignOffer", patientId=p, offerCode="HBA1C", careGiverHSAId=demo.CARE_GIVER_A,
                          accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF)).offerId
        mine.add(ok(as_citizen("CreateOrder", offerId=offer, patientId=p, samplingMode="SITE")).orderId)
    seen: list[str] = []
    pages = 0
    for page in iter_pages(as_lab.service("GetOrders").GetOrders, performingLabHSAId=demo.LAB_A, maxResults=2,
                           _soapheaders={"LogicalAddress": demo.SERVICE_ADDRESS}):
        assert len(page.order) <= 2
        seen.extend(o.orderId for o in page.order)
        pages += 1
    assert mine <= set(seen)
    assert len(seen) == len(set(seen))  # no order twice
    assert pages >= 3


def test_paging_is_stable_under_concurrent_inserts(service: ServiceProcess, db: Database, as_ehr: Soap,
                                                   as_citizen: Soap, as_sampling: Soap) -> None:
    unit = new_site(db)

    def place() -> str:
        p = patient()
        offer = ok(as_ehr("AssignOffer", patientId=p, offerCode="HBA1C", careGiverHSAId=demo.CARE_GIVER_A,
                          accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF)).offerId
        return str(ok(as_citizen("CreateOrder", offerId=offer, patientId=p, samplingMode="SITE",
                                 samplingUnitHSAId=unit)).orderId)

    before = [place() for _ in range(4)]
    first = as_sampling("GetOrders", samplingUnitHSAId=unit, maxResults=2)
    during = [place() for _ in range(2)]  # inserted between the pages
    rest = as_sampling("GetOrders", samplingUnitHSAId=unit, maxResults=10, continuationToken=first.continuationToken)
    got = [o.orderId for o in first.order] + [o.orderId for o in rest.order]
    assert got == before + during  # nothing skipped, nothing twice, in order


def test_continuation_token_of_another_query_is_a_client_fault(as_sampling: Soap) -> None:
    first = as_sampling("GetOrders", performingLabHSAId=demo.LAB_A, maxResults=1)
    assert first.continuationToken
    with pytest.raises(zeep.exceptions.Fault) as e:
        as_sampling("GetOrders", performingLabHSAId=demo.LAB_B, continuationToken=first.continuationToken)
    assert e.value.code.endswith("Client")
    assert "other selectors" in e.value.message


def test_reads_answer_bad_input_with_a_client_fault(as_sampling: Soap, as_citizen: Soap) -> None:
    bad = {"id": "191212121213", "type": "1.2.752.129.2.1.3.1"}  # wrong check digit
    with pytest.raises(zeep.exceptions.Fault) as e:
        as_sampling("GetOrders", patientId=bad)
    assert e.value.code.endswith("Client")
    assert "check digit" in e.value.message
    assert "191212121213" not in e.value.message
    assert "logId" in e.value.message
    with pytest.raises(zeep.exceptions.Fault, match="at least one of"):
        as_sampling("GetOrders", status=["ORDERED"])
    with pytest.raises(zeep.exceptions.Fault, match="must give the patientId"):
        as_citizen("GetOrders", performingLabHSAId=demo.LAB_A)
    assert as_sampling("GetOrders", patientId=patient()).order == []  # no match: an empty list
    open_ended = as_sampling("GetOrders", performingLabHSAId=demo.LAB_A, createdPeriod={"end": "99991231"})
    assert open_ended.order  # the last day there is still a day


def test_writes_answer_bad_input_with_validation_error(as_ehr: Soap, as_citizen: Soap) -> None:
    bad = {"id": "191212121213", "type": "1.2.752.129.2.1.3.1"}
    r = as_ehr("AssignOffer", patientId=bad, offerCode="CTNG", careGiverHSAId=demo.CARE_GIVER_A,
               accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF).result
    assert (r.resultCode, r.errorCode) == ("ERROR", "VALIDATION_ERROR")
    assert "191212121213" not in (r.message or "")
    r = as_ehr("AssignOffer", patientId=patient(), offerCode="CTNG", careGiverHSAId=demo.CARE_GIVER_A,
               accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF, validTo="20260230120000").result
    assert r.errorCode == "VALIDATION_ERROR"
    assert "validTo" in r.message
    p = patient()
    offer = ok(as_ehr("AssignOffer", patientId=p, offerCode="CTNG", careGiverHSAId=demo.CARE_GIVER_A,
                      accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF)).offerId
    refused(as_citizen("CreateOrder", offerId=offer, patientId=p, samplingMode="HOME_KIT"), "VALIDATION_ERROR")
    refused(as_citizen("CreateOrder", offerId="no-such-offer", patientId=p, samplingMode="SITE"),
            "APPLICATION_ERROR", "EPH001")


def test_systems_of_the_wrong_kind_are_refused(as_lab: Soap) -> None:
    with pytest.raises(zeep.exceptions.Fault, match="LAB system may not call GetResults"):
        as_lab("GetResults", patientId=patient())
    refused(as_lab("AssignOffer", patientId=patient(), offerCode="CTNG", careGiverHSAId=demo.CARE_GIVER_A,
                   accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF), "APPLICATION_ERROR", "EPH006")


def test_ping_for_configuration(service: ServiceProcess) -> None:
    r = Soap(service.base_url, None)("PingForConfiguration", logicalAddress=demo.SERVICE_ADDRESS)
    assert r.version
    assert len(r.pingDateTime) == 14
    assert {c.name: c.value for c in r.configuration}["logicalAddress"] == demo.SERVICE_ADDRESS


def test_the_log_holds_no_personal_data(service: ServiceProcess) -> None:
    """Runs after the tests above: nothing they sent (identity numbers, names, addresses) is in the log."""
    log = service.log_text()
    assert '"interaction":"SetResult"' in log  # the log is there and has calls in it
    leaked = [pid for pid in ISSUED_PERSON_IDS if pid in log]
    assert leaked == []
    for text in ("Test Testsson", "Storgatan", "Doktor Demo", "191212121213", "+46 70"):
        assert text not in log
