"""The patient's side in the service layer: self-service orders and their limits, the choice of
sampling site (whose lab then gets the order), and the access log built from the audit records."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    AuditAction,
    Interpretation,
    OfferStatus,
    OrderStatus,
    ReportStatus,
    SamplingMode,
    Specimen,
)
from service_domain.persistence.database import Database
from service_domain.staff import StaffActing, StaffFunction
from tests.service.conftest import ADDRESS, NOW, ctx, lab_result, new_patient, set_result

CITIZEN = demo.CITIZEN_SERVICE


def self_order(db: Database, p: PersonId, mode: SamplingMode = SamplingMode.HOME_KIT, *, code: str = "CTNG",
               care_giver: str = demo.CARE_GIVER_A, site: str | None = None, when: object = NOW,
               consumer: str = CITIZEN) -> services.WriteOutcome:
    return services.create_order(db.uow(), ctx(consumer, when), commands.CreateOrder(  # type: ignore[arg-type]
        None, p, mode, sampling_unit=site, care_giver=care_giver, offer_code=code,
        delivery_address=ADDRESS if mode is SamplingMode.HOME_KIT else None))


def cancel(db: Database, p: PersonId, order_id: str) -> None:
    services.cancel_order(db.uow(), ctx(CITIZEN),
                          commands.CancelOrder(order_id, Actor(ActorKind.PATIENT, p.id)))


# ------------------------------------------------------------------ self-service


def test_a_patient_orders_a_home_kit_without_an_offer(db: Database) -> None:
    p = new_patient()
    out = self_order(db, p)
    assert not out.info
    assert out.order_id
    assert out.referral_id
    assert out.offer_id
    (offer,) = services.get_offers(db.uow(), ctx(CITIZEN), commands.GetOffers(p))
    # recorded like any other offer: by the patient, for the entry's accountable unit, used by this order
    assert (offer.offer_id, offer.offer_code, offer.status) == (out.offer_id, "CTNG", OfferStatus.USED)
    assert offer.assigned_by == Actor(ActorKind.PATIENT, p.id)
    assert offer.care_unit == demo.CARE_UNIT_A
    page = services.get_orders(db.uow(), ctx(demo.LAB_A), commands.GetOrders(order_ids=(out.order_id,)))
    (order,) = page.orders
    assert order.performing_lab == demo.LAB_A
    assert order.notifiable
    assert order.kit_return_days == 30


def test_the_same_self_service_order_again_is_a_repeat(db: Database) -> None:
    p = new_patient()
    first = self_order(db, p)
    again = self_order(db, p, when=NOW + timedelta(minutes=1))
    assert again.info
    assert (again.order_id, again.referral_id, again.offer_id) == (
        first.order_id, first.referral_id, first.offer_id)
    assert len(services.get_offers(db.uow(), ctx(CITIZEN), commands.GetOffers(p))) == 1


def test_one_open_order_of_a_kind(db: Database) -> None:
    p = new_patient()
    first = self_order(db, p)
    with pytest.raises(RuleViolation, match="open order of this kind") as e:
        self_order(db, p, SamplingMode.SITE, site=demo.SITE_A_CENTRE)
    assert e.value.sub_code is SubCode.WRONG_STATE
    cancel(db, p, first.order_id or "")
    assert not self_order(db, p, SamplingMode.SITE, site=demo.SITE_A_CENTRE).info


def test_at_most_n_orders_in_twelve_months(db: Database) -> None:
    p = new_patient()
    for n in range(4):  # the demo entry allows four a year; each order is closed by its final result
        out = self_order(db, p, when=NOW + timedelta(days=n))
        r = replace(lab_result(out.order_id or "", 1), analysis_results=(
            AnalysisResult(demo.CHLAMYDIA.code, demo.NOT_DETECTED, AnalysisStatus.FINAL,
                           interpretation=Interpretation.NEGATIVE),))
        services.set_result(db.uow(), ctx(demo.LAB_A, NOW + timedelta(days=n)), commands.SetResult(
            replace(r, report_time=NOW + timedelta(days=n))))
    with pytest.raises(RuleViolation, match="at most 4") as e:
        self_order(db, p, when=NOW + timedelta(days=5))
    assert e.value.sub_code is SubCode.WRONG_STATE
    # a year after the first, one place is free again
    assert not self_order(db, p, when=NOW + timedelta(days=366)).info


def test_self_service_needs_an_open_entry_the_right_age_and_the_citizen_service(db: Database) -> None:
    with pytest.raises(RuleViolation) as e:
        self_order(db, new_patient(), SamplingMode.SITE, code="HBA1C")  # not a self-service entry
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE
    with pytest.raises(RuleViolation, match="age") as e:
        self_order(db, new_patient(date.today() - timedelta(days=14 * 366)))  # CTNG is for 15 and older
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE
    with pytest.raises(CallerRefused):  # a journal system does not order for patients
        self_order(db, new_patient(), consumer=demo.EHR_A)
    with pytest.raises(InvalidRequest, match="offerId, or careGiverHSAId and offerCode"):
        services.create_order(db.uow(), ctx(CITIZEN), commands.CreateOrder(
            None, new_patient(), SamplingMode.HOME_KIT, delivery_address=ADDRESS, care_giver=demo.CARE_GIVER_A))
    catalogue = services.get_offer_catalog(db.uow(), ctx(CITIZEN), commands.GetOfferCatalog(
        demo.CARE_GIVER_A, self_service=True))
    assert [d.offer_code for d in catalogue] == ["CTNG"]


# ------------------------------------------------------------------ sampling sites


def test_the_chosen_sites_lab_gets_the_order(db: Database) -> None:
    p = new_patient()
    out = self_order(db, p, SamplingMode.SITE, site=demo.SITE_A_SOUTH)
    found = services.get_orders(db.uow(), ctx(demo.LAB_A2), commands.GetOrders(
        performing_lab=demo.LAB_A2, max_results=1000))
    mine = [o for o in found.orders if o.order_id == out.order_id]
    assert len(mine) == 1
    assert mine[0].sampling_unit == demo.SITE_A_SOUTH
    others = services.get_orders(db.uow(), ctx(demo.LAB_A), commands.GetOrders(
        performing_lab=demo.LAB_A, max_results=1000))
    assert out.order_id not in {o.order_id for o in others.orders}


def test_a_site_of_another_care_giver_or_another_lab_is_refused(db: Database) -> None:
    with pytest.raises(RuleViolation, match="not a sampling site") as e:
        self_order(db, new_patient(), SamplingMode.SITE, site=demo.SITE_B)
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE
    with pytest.raises(InvalidRequest, match="not the lab of the chosen sampling site"):
        services.create_order(db.uow(), ctx(CITIZEN), commands.CreateOrder(
            None, new_patient(), SamplingMode.SITE, performing_lab=demo.LAB_A, sampling_unit=demo.SITE_A_SOUTH,
            care_giver=demo.CARE_GIVER_A, offer_code="CTNG"))
    with pytest.raises(InvalidRequest, match="deliveryAddress or to a pickup point .samplingUnitHSAId., not both"):
        self_order(db, new_patient(), SamplingMode.HOME_KIT, site=demo.SITE_A_CENTRE)


def test_sites_for_a_care_giver_and_for_the_patients_own_offer(db: Database) -> None:
    by_care_giver = services.get_sampling_sites(db.uow(), ctx(CITIZEN),
                                                commands.GetSamplingSites(care_giver=demo.CARE_GIVER_A))
    assert {s.hsa_id: s.performing_lab for s in by_care_giver} == {
        demo.SITE_A_CENTRE: demo.LAB_A, demo.SITE_A_SOUTH: demo.LAB_A2}
    p, q = new_patient(), new_patient()
    out = self_order(db, p)
    for_offer = services.get_sampling_sites(db.uow(), ctx(CITIZEN),
                                            commands.GetSamplingSites(offer_id=out.offer_id, patient=p))
    assert {s.hsa_id for s in for_offer} == {demo.SITE_A_CENTRE, demo.SITE_A_SOUTH}
    # another patient's offer tells nothing; a home-kit order has no sites to choose
    assert services.get_sampling_sites(db.uow(), ctx(CITIZEN),
                                       commands.GetSamplingSites(offer_id=out.offer_id, patient=q)) == []
    assert services.get_sampling_sites(db.uow(), ctx(CITIZEN),
                                       commands.GetSamplingSites(order_id=out.order_id, patient=p)) == []
    with pytest.raises(InvalidRequest, match="exactly one"):
        services.get_sampling_sites(db.uow(), ctx(CITIZEN), commands.GetSamplingSites())
    with pytest.raises(InvalidRequest, match="patientId"):
        services.get_sampling_sites(db.uow(), ctx(CITIZEN),
                                    commands.GetSamplingSites(offer_id=out.offer_id))


# ------------------------------------------------------------------ the access log


def access_log(db: Database, p: PersonId, **kw: object) -> services.AccessLogPage:
    return services.get_access_log(db.uow(), ctx(CITIZEN), commands.GetAccessLog(p, **kw))  # type: ignore[arg-type]


def test_the_access_log_shows_who_did_what(db: Database) -> None:
    p = new_patient()
    out = self_order(db, p)
    services.get_orders(db.uow(), ctx(demo.LAB_A), commands.GetOrders(order_ids=(out.order_id or "",)))
    services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p))
    entries = access_log(db, p).entries
    assert [(e.operation, e.action) for e in entries] == [
        ("GetResults", AuditAction.READ), ("GetOrders", AuditAction.READ), ("CreateOrder", AuditAction.WRITE)]
    results, orders, created = entries
    assert (results.system_hsa_id, results.system_name) == (demo.EHR_A, "Journalsystem, vårdgivare A")
    assert orders.system_name == "Labbsystem, vårdgivare A"
    assert created.performed_by == Actor(ActorKind.PATIENT, p.id)
    assert created.care_giver == demo.CARE_GIVER_A
    # reading the log is itself recorded, and the next read shows it
    assert access_log(db, p).entries[0].operation == "GetAccessLog"


def test_the_access_log_pages_and_keeps_to_one_patient(db: Database) -> None:
    p, q = new_patient(), new_patient()
    for _ in range(3):
        services.get_offers(db.uow(), ctx(demo.EHR_A), commands.GetOffers(p))
    services.get_offers(db.uow(), ctx(demo.EHR_A), commands.GetOffers(q))
    first = access_log(db, p, max_results=2)
    assert len(first.entries) == 2
    assert first.continuation_token
    rest = access_log(db, p, max_results=2, continuation_token=first.continuation_token)
    assert len(rest.entries) == 1
    assert rest.continuation_token is None
    # the token of one patient's log does not open another's
    with pytest.raises(InvalidRequest, match="continuationToken"):
        access_log(db, q, max_results=2, continuation_token=first.continuation_token)
    assert [e.operation for e in access_log(db, q).entries] == ["GetOffers"]


def _desk(log_id: str) -> commands.CallContext:
    """A call of the staff web's sampling desk, in the request ``log_id``, as Sara Provtagare."""
    return commands.CallContext(log_id, demo.STAFF_WEB, NOW, staff=StaffActing("SE2321000016-SSK1", demo.CARE_UNIT_A))


def _sample(db: Database, order_id: str, log_id: str) -> None:
    """The desk's save: the request reads the order, then registers the specimen."""
    services.get_orders(db.uow(), _desk(log_id), commands.GetOrders(order_ids=(order_id,)))
    sara = Actor(ActorKind.STAFF, "SE2321000016-SSK1")
    services.set_order_status(db.uow(), _desk(log_id), commands.SetOrderStatus(
        order_id, OrderStatus.SPECIMEN_COLLECTED, NOW, sara, demo.CARE_UNIT_A, specimens=(Specimen("BC-1"),)))


def test_a_save_that_reads_first_is_one_entry_of_the_access_log(backend_db: Database) -> None:
    db = backend_db  # on PostgreSQL too with EPH_TEST_POSTGRES=1
    p = new_patient()
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    _sample(db, order_id, "desk-save-1")
    staff_entries = [e for e in access_log(db, p).entries if e.system_hsa_id == demo.STAFF_WEB]
    assert [(e.operation, e.action) for e in staff_entries] == [("SetOrderStatus", AuditAction.WRITE)]


def test_a_folded_read_stays_in_the_audit_records(backend_db: Database) -> None:
    db = backend_db  # on PostgreSQL too with EPH_TEST_POSTGRES=1
    p = new_patient()
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    _sample(db, order_id, "desk-save-2")
    with db.uow() as uow:
        stored = uow.audit.for_log_id("desk-save-2")
    assert [(r.operation, r.action) for r in stored] == [("GetOrders", AuditAction.READ),
                                                        ("SetOrderStatus", AuditAction.WRITE)]


def test_reads_of_other_requests_are_entries_of_their_own(backend_db: Database) -> None:
    db = backend_db  # on PostgreSQL too with EPH_TEST_POSTGRES=1
    p = new_patient()
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    services.get_orders(db.uow(), _desk("desk-open"), commands.GetOrders(order_ids=(order_id,)))
    _sample(db, order_id, "desk-save-3")
    staff_entries = [e for e in access_log(db, p).entries if e.system_hsa_id == demo.STAFF_WEB]
    assert [(e.operation, e.action) for e in staff_entries] == [
        ("SetOrderStatus", AuditAction.WRITE), ("GetOrders", AuditAction.READ)]


def test_the_access_log_names_the_care_unit(db: Database) -> None:
    p = new_patient()
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    _sample(db, order_id, "desk-save-5")
    assert access_log(db, p).entries[0].care_unit_name == demo.UNIT_NAMES[demo.CARE_UNIT_A]


def test_the_access_log_names_the_care_giver(db: Database) -> None:
    p = new_patient()
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    _sample(db, order_id, "desk-save-6")
    assert access_log(db, p).entries[0].care_giver_name == demo.UNIT_NAMES[demo.CARE_GIVER_A]


def test_a_sampling_site_is_named_by_the_register_of_sites(db: Database) -> None:
    p = new_patient()
    site = next(s for s in demo.SITES if s.hsa_id == demo.SITE_A_CENTRE)
    operator = commands.CallContext.operator(NOW)
    services.register_staff(db.uow(), operator, "SE2321000016-SSK8", "Petra Platsson", demo.CARE_GIVER_A)
    services.grant_functions(db.uow(), operator, "SE2321000016-SSK8", site.hsa_id, frozenset({StaffFunction.SAMPLING}))
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    services.get_orders(db.uow(), commands.CallContext("desk-open-site", demo.STAFF_WEB, NOW,
                                                       staff=StaffActing("SE2321000016-SSK8", site.hsa_id)),
                        commands.GetOrders(order_ids=(order_id,)))
    assert access_log(db, p).entries[0].care_unit_name == site.name


def test_an_event_is_one_entry_across_pages(backend_db: Database) -> None:
    db = backend_db  # on PostgreSQL too with EPH_TEST_POSTGRES=1
    p = new_patient()
    order_id = self_order(db, p, SamplingMode.SITE).order_id or ""
    _sample(db, order_id, "desk-save-4")
    first = access_log(db, p, max_results=1)
    rest = access_log(db, p, continuation_token=first.continuation_token, max_results=1)
    assert [e.operation for e in first.entries + rest.entries] == ["SetOrderStatus", "CreateOrder"]


def test_only_the_citizen_service_reads_the_access_log(db: Database) -> None:
    with pytest.raises(CallerRefused):
        services.get_access_log(db.uow(), ctx(demo.EHR_A), commands.GetAccessLog(new_patient()))


# ------------------------------------------------------------------ the correction history


def test_earlier_versions_on_request_released_ones_for_the_citizen(db: Database) -> None:
    p = new_patient()
    out = self_order(db, p)
    negative = (AnalysisResult(demo.CHLAMYDIA.code, demo.NOT_DETECTED, AnalysisStatus.PRELIMINARY,
                               interpretation=Interpretation.NEGATIVE),)
    set_result(db, replace(lab_result(out.order_id or "", 1, ReportStatus.PRELIMINARY), analysis_results=negative))
    set_result(db, replace(lab_result(out.order_id or "", 2, ReportStatus.PRELIMINARY), analysis_results=negative))
    positive = (AnalysisResult(demo.CHLAMYDIA.code, demo.DETECTED, AnalysisStatus.FINAL,
                               interpretation=Interpretation.POSITIVE),)
    set_result(db, replace(lab_result(out.order_id or "", 3), analysis_results=positive))  # held for follow-up
    (citizen,) = services.get_results(db.uow(), ctx(CITIZEN), commands.GetResults(p, include_earlier=True))
    assert citizen.result is not None
    assert citizen.result.version == 2
    assert [r.version for r in citizen.earlier] == [1]
    (ehr,) = services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p, include_earlier=True))
    assert ehr.result is not None
    assert ehr.result.version == 3
    assert [r.version for r in ehr.earlier] == [2, 1]
    (plain,) = services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p))
    assert plain.earlier == ()
