"""The service layer over a real (SQLite file) database: rules of the spec that need storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    Bound,
    Code,
    FollowUpStatus,
    Interpretation,
    Interval,
    OfferStatus,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
)
from service_domain.persistence.database import Database
from tests.service.conftest import (
    NOW,
    STAFF,
    assign,
    ctx,
    lab_result,
    new_patient,
    order,
    set_result,
    status,
)


def test_set_result_is_idempotent_and_refuses_conflicts(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    assert not set_result(db, lab_result(oid, 1, ReportStatus.PRELIMINARY)).info
    again = set_result(db, lab_result(oid, 1, ReportStatus.PRELIMINARY))
    assert again.info
    with pytest.raises(RuleViolation) as e:
        set_result(db, lab_result(oid, 1, ReportStatus.PRELIMINARY, value="42"))
    assert e.value.sub_code is SubCode.VERSION_CONFLICT
    assert not set_result(db, lab_result(oid, 2)).info
    with pytest.raises(RuleViolation) as e:
        set_result(db, lab_result(oid, 1, ReportStatus.FINAL, value="99"))  # older than the newest
    assert e.value.sub_code is SubCode.VERSION_CONFLICT
    with pytest.raises(RuleViolation) as e:
        set_result(db, lab_result(oid, 3, ReportStatus.FINAL))  # a final result needs CORRECTED to change
    assert e.value.sub_code is SubCode.TRANSITION_REFUSED
    assert not set_result(db, lab_result(oid, 3, ReportStatus.CORRECTED, value="40")).info
    with db.uow() as uow:
        versions = uow.results.versions(oid)
    assert [v.result.version for v in versions] == [1, 2, 3]  # every version kept
    assert versions[0].result.analysis_results[0].value == Quantity("41", "mmol/mol")
    view = services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))
    assert view[0].result is not None
    assert view[0].result.version == 3  # the newest is what readers see


def test_positive_notifiable_result_waits_for_follow_up(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id
    assert oid
    r = replace(lab_result(oid, 1, interpretation=Interpretation.POSITIVE),
                analysis_results=(AnalysisResult(demo.CHLAMYDIA.code, "Positiv", AnalysisStatus.FINAL,
                                                 interpretation=Interpretation.POSITIVE),))
    set_result(db, r)
    citizen = services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))
    assert (citizen[0].result, citizen[0].released_to_patient, citizen[0].follow_up_required) == (None, False, False)
    ehr = services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p))
    assert ehr[0].result == r
    assert ehr[0].follow_up_required
    (case,) = [c for c in services.list_follow_ups(db.uow(), FollowUpStatus.OPEN) if c.order_id == oid]
    assert case.care_unit == demo.CARE_UNIT_A
    with pytest.raises(RuleViolation) as not_contacted:
        services.close_follow_up(db.uow(), ctx("staff"), case.case_id, STAFF)
    assert not_contacted.value.sub_code is SubCode.WRONG_STATE
    released = services.close_follow_up(db.uow(), ctx("staff"), case.case_id, STAFF, "reached by letter only")
    assert released == 1
    citizen = services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))
    assert citizen[0].result == r
    assert citizen[0].released_to_patient
    with pytest.raises(RuleViolation) as e:
        services.close_follow_up(db.uow(), ctx("staff"), case.case_id, STAFF)
    assert e.value.sub_code is SubCode.WRONG_STATE


def test_after_review_is_released_by_staff_only(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "REVIEW")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    citizen = lambda: services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))  # noqa: E731
    assert citizen()[0].result is None
    assert services.release_results(db.uow(), ctx("staff"), oid, STAFF) == 1
    assert citizen()[0].result is not None


def test_create_order_rules(db: Database) -> None:
    p, other = new_patient(), new_patient()
    offer_id = assign(db, p)  # CTNG: max one order, HOME_KIT or SITE
    with pytest.raises(InvalidRequest, match="deliveryAddress"):
        services.create_order(db.uow(), ctx(demo.CITIZEN_SERVICE),
                              commands.CreateOrder(offer_id, p, SamplingMode.HOME_KIT))
    with pytest.raises(RuleViolation) as e:
        order(db, other, offer_id)  # not this patient's offer
    assert e.value.sub_code is SubCode.UNKNOWN_ID
    first = order(db, p, offer_id, SamplingMode.HOME_KIT)
    repeat = order(db, p, offer_id, SamplingMode.HOME_KIT)
    assert repeat.info
    assert (repeat.order_id, repeat.referral_id) == (first.order_id, first.referral_id)
    with pytest.raises(RuleViolation) as e:
        order(db, p, offer_id, SamplingMode.SITE)  # used up
    assert e.value.sub_code is SubCode.WRONG_STATE
    # cancelling gives the order back to the offer
    services.cancel_order(db.uow(), ctx(demo.CITIZEN_SERVICE),
                          commands.CancelOrder(first.order_id or "", Actor(ActorKind.PATIENT, p.id)))
    assert not order(db, p, offer_id, SamplingMode.SITE).info


def test_hba1c_does_not_allow_home_kits(db: Database) -> None:
    p = new_patient()
    with pytest.raises(RuleViolation) as e:
        order(db, p, assign(db, p, "HBA1C"), SamplingMode.HOME_KIT)
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE


def test_age_limits_and_unknown_codes(db: Database) -> None:
    child = new_patient(date(2016, 1, 1))  # CTNG is for 15 and older
    with pytest.raises(RuleViolation) as e:
        assign(db, child)
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE
    with pytest.raises(RuleViolation) as e:
        assign(db, new_patient(), "NO-SUCH-CODE")
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE


def test_revoked_and_expired_offers_cannot_be_ordered(db: Database) -> None:
    p = new_patient()
    revoked = assign(db, p)
    services.revoke_offer(db.uow(), ctx(demo.EHR_A), commands.RevokeOffer(revoked, STAFF))
    with pytest.raises(RuleViolation) as e:
        order(db, p, revoked)
    assert e.value.sub_code is SubCode.WRONG_STATE
    expiring = assign(db, p, "HBA1C", valid_to=NOW + timedelta(days=1))
    with pytest.raises(RuleViolation) as e:
        services.create_order(db.uow(), ctx(demo.CITIZEN_SERVICE, NOW + timedelta(days=2)),
                              commands.CreateOrder(expiring, p, SamplingMode.SITE))
    assert e.value.sub_code is SubCode.WRONG_STATE
    offers = services.get_offers(db.uow(), ctx(demo.CITIZEN_SERVICE, NOW + timedelta(days=2)),
                                 commands.GetOffers(p))
    assert {o.offer_id: o.status for o in offers} == {revoked: OfferStatus.REVOKED, expiring: OfferStatus.EXPIRED}


def test_status_reports_and_kinds(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    with pytest.raises(RuleViolation) as e:
        status(db, oid, OrderStatus.KIT_SENT)  # a site order gets no kit
    assert e.value.sub_code is SubCode.TRANSITION_REFUSED
    with pytest.raises(RuleViolation) as e:
        status(db, oid, OrderStatus.RECEIVED_BY_LAB, consumer=demo.SAMPLING_A)  # not a sampling system's to say
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    with pytest.raises(InvalidRequest, match="specimen"):
        status(db, oid, OrderStatus.SPECIMEN_COLLECTED, consumer=demo.SAMPLING_A, specimens=())
    assert not status(db, oid, OrderStatus.SPECIMEN_COLLECTED, consumer=demo.SAMPLING_A).info
    assert status(db, oid, OrderStatus.SPECIMEN_COLLECTED, consumer=demo.SAMPLING_A).info  # a repeat
    with pytest.raises(RuleViolation) as e:
        status(db, oid, OrderStatus.SPECIMEN_COLLECTED, consumer=demo.LAB_B)  # care giver B's lab
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    assert not status(db, oid, OrderStatus.RECEIVED_BY_LAB).info
    with db.uow() as uow:
        stored = uow.orders.get(oid)
    assert stored is not None
    assert [h.status for h in stored.history] == [OrderStatus.ORDERED, OrderStatus.SPECIMEN_COLLECTED,
                                                  OrderStatus.RECEIVED_BY_LAB]
    assert stored.specimens[0].identifier == "BC-" + oid[:8]


def test_unregistered_or_wrong_kind_of_caller_is_refused(db: Database) -> None:
    with pytest.raises(CallerRefused, match="not registered"):
        services.get_offers(db.uow(), ctx("SE2321000016-XX99"), commands.GetOffers(new_patient()))
    with pytest.raises(CallerRefused, match="LAB system may not call GetResults"):
        services.get_results(db.uow(), ctx(demo.LAB_A), commands.GetResults(new_patient()))


def test_a_failed_write_leaves_nothing_behind(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    p = new_patient()
    offer_id = assign(db, p)
    from service_domain.persistence.audit import SqlAuditRepository

    def broken(self: object, records: object) -> None:
        raise RuntimeError("disk full")

    # the audit record is the last write of CreateOrder: fail it, after the order and offer were written
    monkeypatch.setattr(SqlAuditRepository, "add", broken)
    with pytest.raises(RuntimeError):
        order(db, p, offer_id)
    monkeypatch.undo()
    with db.uow() as uow:
        assert uow.orders.open_for_offer(offer_id, SamplingMode.SITE) is None
        offer = uow.offers.get(offer_id)
        assert offer is not None
        assert offer.orders_placed == 0
        assert offer.status is OfferStatus.ACTIVE


def test_expiry(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    later = NOW + timedelta(days=91)
    offers, orders = services.expire_due(db.uow(), later)
    assert orders >= 1
    assert offers >= 1
    with db.uow() as uow:
        stored = uow.orders.get(oid)
    assert stored is not None
    assert stored.status is OrderStatus.EXPIRED
    assert services.expire_due(db.uow(), later) == (0, 0)


def test_patient_data_access_is_audited(db: Database) -> None:
    p = new_patient()
    c = ctx(demo.CITIZEN_SERVICE)
    services.get_offers(db.uow(), c, commands.GetOffers(p))
    with db.uow() as uow:
        (record,) = uow.audit.for_log_id(c.log_id)
    assert (record.patient_id, record.consumer_hsa_id, record.operation) == (p.id, demo.CITIZEN_SERVICE, "GetOffers")


def test_code_values_are_not_confused_with_text() -> None:
    # a guard for the codec: coded and quantity values survive storage distinctly
    from service_domain.persistence.codec import result_from_json, result_to_json

    r = replace(lab_result("o", 1), analysis_results=(
        AnalysisResult(Code("a", "1.2"), Code("260385009", "1.2.752.116.2.1.1"), AnalysisStatus.FINAL),
        AnalysisResult(Code("b", "1.2"), "text", AnalysisStatus.PRELIMINARY),
        AnalysisResult(Code("c", "1.2"), Quantity("5.50", "mmol/L"), AnalysisStatus.PRELIMINARY),
        AnalysisResult(Code("d", "1.2"), Interval(high=Bound("0.5", "mg/L", inclusive=False)), AnalysisStatus.FINAL,
                       reference_interval=Interval(Bound("1", "mg/L"), Bound("2.0", "mg/L"), "adults")),
        AnalysisResult(Code(None, None, original_text="local test"), None, AnalysisStatus.ENTERED_IN_ERROR),
    ))
    assert result_from_json(result_to_json(r)) == r


def test_the_citizen_is_never_told_about_follow_up(db: Database) -> None:
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), [replace(demo.catalogue()[0], offer_code="CT-NOW",
                                                 result_release=ResultRelease.IMMEDIATE)])
    p = new_patient()
    oid = order(db, p, assign(db, p, "CT-NOW"), SamplingMode.HOME_KIT).order_id or ""
    set_result(db, replace(lab_result(oid, 1), analysis_results=(
        AnalysisResult(demo.CHLAMYDIA.code, "Positiv", AnalysisStatus.FINAL, interpretation=Interpretation.POSITIVE),)))
    (citizen,) = services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))
    # IMMEDIATE: released at once
    assert citizen.released_to_patient
    assert citizen.result is not None
    assert citizen.follow_up_required is False  # but the open case is staff business
    (ehr,) = services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p))
    assert ehr.follow_up_required is True


def test_replace_all_keeps_other_care_givers_catalogues(db: Database) -> None:
    a_only = [d for d in demo.catalogue() if d.care_giver == demo.CARE_GIVER_A and d.offer_code == "HBA1C"]
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), a_only, replace_all=True)
    with db.uow() as uow:
        active = {(d.care_giver, d.offer_code) for d in uow.definitions.list()}
    assert (demo.CARE_GIVER_A, "HBA1C") in active
    assert (demo.CARE_GIVER_A, "CTNG") not in active
    assert {(demo.CARE_GIVER_B, "CTNG"), (demo.CARE_GIVER_B, "HBA1C")} <= active
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), demo.catalogue())  # put the demo catalogue back


def test_housekeeping_is_audited(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C", valid_to=NOW + timedelta(days=1))).order_id
    services.expire_due(db.uow(), NOW + timedelta(days=200))
    with db.uow() as uow:
        records = [r for r in uow.audit.for_patient(p.id) if r.operation == "Housekeeping"]
        stored = uow.orders.get(oid or "")
    assert stored is not None
    assert stored.status is OrderStatus.EXPIRED
    assert len(records) == 2  # the order and the offer


def test_set_result_reads_the_newest_version_only(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """SetResult reads back only the newest stored version, however long the order's history."""
    from service_domain.persistence import results

    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    for version in range(1, 41):
        set_result(db, lab_result(oid, version, ReportStatus.PRELIMINARY, value=str(version)))
    loaded: list[int] = []
    real = results._stored
    monkeypatch.setattr(results, "_stored", lambda row: loaded.append(row.version) or real(row))
    assert not set_result(db, lab_result(oid, 41, ReportStatus.PRELIMINARY, value="41")).info
    assert set_result(db, lab_result(oid, 41, ReportStatus.PRELIMINARY, value="41")).info  # a repeat
    assert loaded == [41]  # only the repeat's own version was read back
