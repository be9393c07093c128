"""The domain rules that keep patient data safe, each once a defect (issue: domain rules and
national conventions), over a real SQLite database through the service layer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import InvalidRequest, RuleViolation, SubCode
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    Bound,
    Code,
    ConnectedSystem,
    FollowUpStatus,
    Interpretation,
    Interval,
    OfferDefinition,
    OfferStatus,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
    SystemKind,
)
from service_domain.persistence.database import Database
from tests.service.conftest import NOW, STAFF, assign, ctx, lab_result, new_patient, order, set_result, status

LAB_2 = "SE2321000016-LAB2"  # a second lab system of care giver A, reporting for its own lab


@pytest.fixture(scope="module", autouse=True)
def second_lab(db: Database) -> None:
    services.register_systems(
        db.uow(), [ConnectedSystem(LAB_2, SystemKind.LAB, "Second lab of care giver A", frozenset({demo.CARE_GIVER_A}))]
    )


def ctng_result(order_id: str, version: int, value: Code | str, interpretation: Interpretation | None,
                report: ReportStatus = ReportStatus.FINAL) -> object:
    return replace(
        lab_result(order_id, version, report),
        analysis_results=(
            AnalysisResult(demo.CHLAMYDIA.code, value, AnalysisStatus.FINAL, interpretation=interpretation),
            AnalysisResult(demo.GONORRHOEA.code, demo.NOT_DETECTED, AnalysisStatus.FINAL,
                           interpretation=Interpretation.NEGATIVE),
        ),
    )


def citizen_view(db: Database, p: PersonId) -> list[services.OrderResultView]:
    return services.get_results(db.uow(), ctx(demo.CITIZEN_SERVICE), commands.GetResults(p))


def open_case(db: Database, order_id: str) -> bool:
    return any(c.order_id == order_id for c in services.list_follow_ups(db.uow(), FollowUpStatus.OPEN))


# ------------------------------------------------------------------ 1. notifiable positives


def test_a_coded_detected_value_without_interpretation_is_held(db: Database) -> None:
    """A coded "detected" value without an interpretation is held and opens a follow-up case: the hold
    looks at the value as well as the interpretation."""
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id or ""
    set_result(db, ctng_result(oid, 1, demo.DETECTED, None))  # type: ignore[arg-type]
    (view,) = citizen_view(db, p)
    assert (view.result, view.released_to_patient) == (None, False)
    assert open_case(db, oid)


def test_a_finding_without_interpretation_is_held_and_an_explicit_negative_is_not(db: Database) -> None:
    p, q = new_patient(), new_patient()
    held = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id or ""
    set_result(db, ctng_result(held, 1, "ej påvisad", None))  # type: ignore[arg-type]
    assert citizen_view(db, p)[0].result is None
    assert open_case(db, held)
    negative = order(db, q, assign(db, q), SamplingMode.HOME_KIT).order_id or ""
    set_result(db, ctng_result(negative, 1, demo.NOT_DETECTED, Interpretation.NEGATIVE))  # type: ignore[arg-type]
    (view,) = citizen_view(db, q)
    assert view.released_to_patient
    assert view.result is not None
    assert not open_case(db, negative)


# ------------------------------------------------------------------ 3. referral codes


def test_a_referral_code_of_a_closed_order_is_never_issued_again(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A referral code is unique among all orders, closed ones too: a draw that repeats a cancelled
    order's code is drawn again, and a look-up by that code finds the cancelled order only."""
    p, q = new_patient(), new_patient()
    first = order(db, p, assign(db, p, "HBA1C"))
    services.cancel_order(db.uow(), ctx(demo.CITIZEN_SERVICE),
                          commands.CancelOrder(first.order_id or "", Actor(ActorKind.PATIENT, p.id)))
    taken = first.referral_id or ""
    draws = iter(taken + "CEFHJKMN")  # the first draw repeats the closed order's code
    monkeypatch.setattr(services.orders.secrets, "choice", lambda _alphabet: next(draws))
    second = order(db, q, assign(db, q, "HBA1C"))
    assert second.referral_id == "CEFHJKMN" != taken
    monkeypatch.undo()
    page = services.get_orders(db.uow(), ctx(demo.SAMPLING_A), commands.GetOrders(referral_ids=(taken,)))
    assert [o.order_id for o in page.orders] == [first.order_id]


# ------------------------------------------------------------------ 4. results tied to the lab


def test_set_result_comes_from_the_orders_lab(db: Database) -> None:
    """Only the order's own lab reports on it: another lab serving the same care giver is refused
    (NOT_PERMITTED) for results and status reports, and so is the right system naming another lab."""
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""  # addressed to LAB1
    as_lab2 = ctx(LAB_2)
    for performing_lab in (demo.LAB_A, LAB_2):
        r = replace(lab_result(oid, 1), performing_lab=performing_lab)
        with pytest.raises(RuleViolation) as e:
            services.set_result(db.uow(), as_lab2, commands.SetResult(r))
        assert e.value.sub_code is SubCode.NOT_PERMITTED
    with pytest.raises(RuleViolation) as e:  # the right system naming another lab
        set_result(db, replace(lab_result(oid, 1), performing_lab=LAB_2))
    assert e.value.sub_code is SubCode.NOT_PERMITTED
    assert not set_result(db, lab_result(oid, 1)).info  # LAB1 for LAB1
    with pytest.raises(RuleViolation) as e:  # nor may the other lab report its status
        services.set_order_status(db.uow(), ctx(LAB_2), commands.SetOrderStatus(
            oid, OrderStatus.REJECTED, NOW, Actor(ActorKind.SYSTEM, LAB_2), LAB_2, reason=demo.URINE))
    assert e.value.sub_code is SubCode.NOT_PERMITTED


def test_a_lab_system_may_report_for_the_units_it_is_registered_for(db: Database) -> None:
    hub = "SE2321000016-LABHUB"
    services.register_systems(db.uow(), [ConnectedSystem(hub, SystemKind.LAB, "Lab hub", frozenset({demo.CARE_GIVER_A}),
                                                         units=frozenset({demo.LAB_A}))])
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    db.systems.forget(hub.upper())
    outcome = services.set_result(db.uow(), ctx(hub), commands.SetResult(lab_result(oid, 1)))
    assert not outcome.info


# ------------------------------------------------------------------ 6. retries


def test_a_status_report_retried_with_a_fresh_event_time_is_a_repeat(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    assert not status(db, oid, OrderStatus.SPECIMEN_COLLECTED, consumer=demo.SAMPLING_A).info
    retry = services.set_order_status(db.uow(), ctx(demo.SAMPLING_A), commands.SetOrderStatus(
        oid, OrderStatus.SPECIMEN_COLLECTED, NOW - timedelta(minutes=1), Actor(ActorKind.SYSTEM, demo.SAMPLING_A),
        demo.LAB_A, specimens=(Specimen("BC-" + oid[:8]),)))
    assert retry.info
    with db.uow() as uow:
        stored = uow.orders.get(oid)
    assert stored is not None
    assert [h.status for h in stored.history].count(OrderStatus.SPECIMEN_COLLECTED) == 1


def test_assign_offer_retried_gives_the_same_offer(db: Database) -> None:
    """An AssignOffer sent again (a retry after VP009) answers with the first offer and creates no second."""
    p = new_patient()
    request = commands.AssignOffer(p, "HBA1C", demo.CARE_GIVER_A, demo.CARE_UNIT_A, STAFF, comment="tack")
    first = services.assign_offer(db.uow(), ctx(demo.EHR_A), request)
    again = services.assign_offer(db.uow(), ctx(demo.EHR_A, NOW + timedelta(minutes=2)), request)
    assert (again.info, again.offer_id) == (True, first.offer_id)
    with pytest.raises(RuleViolation) as e:  # another assignment of the same code while one is active
        services.assign_offer(db.uow(), ctx(demo.EHR_A), replace(request, max_orders=3))
    assert e.value.sub_code is SubCode.WRONG_STATE
    offers = services.get_offers(db.uow(), ctx(demo.EHR_A), commands.GetOffers(p))
    assert [o.offer_id for o in offers] == [first.offer_id]
    # once revoked, the code may be assigned again
    services.revoke_offer(db.uow(), ctx(demo.EHR_A), commands.RevokeOffer(first.offer_id or "", STAFF))
    assert not services.assign_offer(db.uow(), ctx(demo.EHR_A), request).info


# ------------------------------------------------------------------ 7. late home kits


def test_a_kit_that_is_out_may_come_back_within_its_return_window(db: Database) -> None:
    """Housekeeping leaves a KIT_SENT order past validTo while its return window runs, and the lab's
    result is accepted; after the window the order expires."""
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id or ""
    status(db, oid, OrderStatus.KIT_SENT)
    with db.uow() as uow:
        stored = uow.orders.get(oid)
    assert stored is not None
    assert stored.kit_return_days == 30
    late = stored.valid_to + timedelta(days=10)  # past validTo, within the 30-day return window
    services.expire_due(db.uow(), late)
    with db.uow() as uow:
        assert uow.orders.get(oid).status is OrderStatus.KIT_SENT  # type: ignore[union-attr]
    result = ctng_result(oid, 1, demo.NOT_DETECTED, Interpretation.NEGATIVE)
    outcome = services.set_result(db.uow(), ctx(demo.LAB_A, late), commands.SetResult(result))  # type: ignore[arg-type]
    assert not outcome.info
    # an ordered kit that never went out expires at validTo; one that is out, after its window
    q = new_patient()
    other = order(db, q, assign(db, q), SamplingMode.HOME_KIT).order_id or ""
    status(db, other, OrderStatus.KIT_SENT)
    services.expire_due(db.uow(), stored.valid_to + timedelta(days=31))
    with db.uow() as uow:
        assert uow.orders.get(other).status is OrderStatus.EXPIRED  # type: ignore[union-attr]


# ------------------------------------------------------------------ 8. the citizen's view


def test_the_citizen_keeps_seeing_the_released_version_while_a_newer_is_held(db: Database) -> None:
    """While version 2 is held for follow-up, the citizen sees the released version 1 and the journal
    system sees version 2."""
    p = new_patient()
    oid = order(db, p, assign(db, p), SamplingMode.HOME_KIT).order_id or ""
    set_result(db, ctng_result(oid, 1, demo.NOT_DETECTED, Interpretation.NEGATIVE, ReportStatus.PRELIMINARY))  # type: ignore[arg-type]
    set_result(db, ctng_result(oid, 2, demo.DETECTED, Interpretation.POSITIVE))  # type: ignore[arg-type]
    (view,) = citizen_view(db, p)
    assert view.released_to_patient
    assert view.result is not None
    assert view.result.version == 1
    (ehr,) = services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p))
    assert ehr.result is not None
    assert ehr.result.version == 2
    assert ehr.follow_up_required


# ------------------------------------------------------------------ values and withdrawals


def test_a_value_keeps_its_digits(db: Database) -> None:
    """5.0 and 5.00 are different reports: the same value sent again is a repeat, the other digits a
    version conflict, and the stored value keeps its digits."""
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    set_result(db, lab_result(oid, 1, ReportStatus.PRELIMINARY, value="5.0"))
    assert set_result(db, lab_result(oid, 1, ReportStatus.PRELIMINARY, value="5.0")).info
    with pytest.raises(RuleViolation) as e:
        set_result(db, lab_result(oid, 1, ReportStatus.PRELIMINARY, value="5.00"))
    assert e.value.sub_code is SubCode.VERSION_CONFLICT
    with db.uow() as uow:
        (stored,) = uow.results.versions(oid)
    assert stored.result.analysis_results[0].value == Quantity("5.0", "mmol/mol")


def test_a_lab_withdraws_a_version_sent_in_error(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    set_result(db, lab_result(oid, 1))
    withdrawal = replace(lab_result(oid, 2, ReportStatus.CORRECTED), analysis_results=(
        AnalysisResult(demo.HBA1C.code, None, AnalysisStatus.ENTERED_IN_ERROR, comment="fel patient"),))
    assert not set_result(db, withdrawal).info
    (view,) = citizen_view(db, p)
    assert view.result is not None
    assert view.result.is_withdrawal
    assert view.result.analysis_results[0].value is None


@pytest.mark.parametrize(
    ("analysis", "says"),
    [
        (AnalysisResult(demo.HBA1C.code, Quantity("41", "mmol per mol"), AnalysisStatus.FINAL), "UCUM"),
        (AnalysisResult(demo.HBA1C.code, Quantity("41", "µmol/L"), AnalysisStatus.FINAL), "UCUM"),
        (AnalysisResult(demo.HBA1C.code, None, AnalysisStatus.FINAL), "needs a value"),
        (AnalysisResult(demo.HBA1C.code, "41", AnalysisStatus.ENTERED_IN_ERROR), "carries no value"),
        (AnalysisResult(Code("X1", None), "41", AnalysisStatus.FINAL), "codeSystem"),
        (AnalysisResult(Code(None, None), "41", AnalysisStatus.FINAL), "originalText"),
        (AnalysisResult(demo.HBA1C.code, Interval(), AnalysisStatus.FINAL), "low, high or text"),
        (AnalysisResult(demo.HBA1C.code, Quantity("41", "mmol/mol"), AnalysisStatus.FINAL,
                        reference_interval=Interval(Bound("42", "mmol/mol"), Bound("27", "mmol/mol"))), "high below low"),
    ],
)
def test_values_that_break_a_rule_are_validation_errors(db: Database, analysis: AnalysisResult, says: str) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    with pytest.raises(InvalidRequest, match=says):
        set_result(db, replace(lab_result(oid, 1), analysis_results=(analysis,)))


def test_uncoded_analyses_and_intervals_are_accepted(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    r = replace(lab_result(oid, 1), analysis_results=(
        AnalysisResult(Code(None, None, original_text="Lokal analys utan kod"), Interval(high=Bound("0.5", "mg/L", False)),
                       AnalysisStatus.FINAL, reference_interval=Interval(text="under 0.5"), comment="inget fynd"),
    ))
    assert not set_result(db, r).info
    (view,) = services.get_results(db.uow(), ctx(demo.EHR_A), commands.GetResults(p))
    assert view.result == r


def test_rejected_needs_a_coded_reason(db: Database) -> None:
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id or ""
    status(db, oid, OrderStatus.SPECIMEN_COLLECTED, consumer=demo.SAMPLING_A)
    status(db, oid, OrderStatus.RECEIVED_BY_LAB)
    with pytest.raises(InvalidRequest, match="reason"):
        status(db, oid, OrderStatus.REJECTED)
    reason = Code("HEMOLYZED", demo.REJECTION_REASONS, display_name="Hemolyserat prov")
    assert not status(db, oid, OrderStatus.REJECTED, reason=reason).info


# ------------------------------------------------------------------ identities


def test_a_reservnummer_of_the_care_giver_identifies_a_patient(db: Database) -> None:
    services.import_catalogue(db.uow(), CallContext.operator(utcnow()), [OfferDefinition(
        care_giver=demo.CARE_GIVER_A, offer_code="NOAGE", display_name="Utan ålder", analyses=(demo.HBA1C,),
        sampling_modes=(SamplingMode.SITE,), notifiable=False, result_release=ResultRelease.IMMEDIATE,
        validity_days=10, max_orders=1, performing_lab=demo.LAB_A)])
    reserve = PersonId("991981000010", demo.RESERVE_NUMBERS_A.oid)
    offer = assign(db, reserve, "NOAGE")
    assert order(db, reserve, offer).order_id
    with pytest.raises(RuleViolation) as e:  # an age-limited offer cannot be checked against a reservnummer
        assign(db, reserve, "HBA1C")
    assert e.value.sub_code is SubCode.NOT_IN_CATALOGUE
    with pytest.raises(InvalidRequest, match="format"):
        assign(db, PersonId("12345", demo.RESERVE_NUMBERS_A.oid), "NOAGE")
    with pytest.raises(InvalidRequest, match="type"):  # care giver B has no reservnummer types
        services.assign_offer(db.uow(), ctx(demo.EHR_A), commands.AssignOffer(
            reserve, "NOAGE", demo.CARE_GIVER_B, demo.CARE_UNIT_B, STAFF))
    offers = services.get_offers(db.uow(), ctx(demo.EHR_A), commands.GetOffers(reserve))
    assert [(o.offer_id, o.patient) for o in offers] == [(offer, reserve)]


def test_real_hsa_ids_are_accepted(db: Database) -> None:
    p = new_patient()
    unit = "SE162321000016-1000"  # twelve digits, the century prefix of organisation numbers
    out = services.assign_offer(db.uow(), ctx(demo.EHR_A), commands.AssignOffer(
        p, "HBA1C", demo.CARE_GIVER_A, unit, STAFF))
    offers = services.get_offers(db.uow(), ctx(demo.EHR_A), commands.GetOffers(p))
    assert [(o.offer_id, o.care_unit) for o in offers] == [(out.offer_id, unit)]


def test_an_offer_status_is_not_changed_by_a_read(db: Database) -> None:
    p = new_patient(date(1990, 5, 5))
    offer_id = assign(db, p, "HBA1C", valid_to=NOW + timedelta(days=1))
    later = ctx(demo.EHR_A, NOW + timedelta(days=2))
    (offer,) = services.get_offers(db.uow(), later, commands.GetOffers(p))
    assert offer.offer_id == offer_id
    assert offer.status is OfferStatus.EXPIRED
