"""The calling rules of the service: which kind of system may make which interaction, and
which order statuses each kind may report. Each table below is the rule as docs/platform.md,
docs/decisions.md and the integration guide state it; every cell is checked, so adding a
caller, dropping one, or widening or narrowing what a system may report breaks a test."""

from __future__ import annotations

import pytest

from service_domain import access
from service_domain.errors import CallerRefused, RuleViolation, SubCode
from service_domain.model import ConnectedSystem, OrderStatus, SystemKind

K = SystemKind
S = OrderStatus

# interaction -> the kinds of system that may call it
CALLERS: dict[str, set[SystemKind]] = {
    "GetOfferCatalog": {K.EHR, K.STAFF_UI, K.CITIZEN},
    "AssignOffer": {K.EHR, K.STAFF_UI},
    "RevokeOffer": {K.EHR, K.STAFF_UI},
    "GetOffers": {K.CITIZEN, K.STAFF_UI, K.EHR},
    "CreateOrder": {K.CITIZEN, K.STAFF_UI},
    "GetOrders": {K.SAMPLING, K.LAB, K.STAFF_UI, K.CITIZEN, K.EHR},
    "SetOrderStatus": {K.SAMPLING, K.LAB, K.STAFF_UI},
    "CancelOrder": {K.CITIZEN, K.STAFF_UI, K.EHR},
    "SetResult": {K.LAB, K.STAFF_UI},  # never the patient's e-service, never a sampling system
    "GetResults": {K.CITIZEN, K.EHR, K.STAFF_UI},
    "GetSamplingSites": {K.CITIZEN, K.EHR, K.STAFF_UI},
    "GetAccessLog": {K.CITIZEN},  # the patient's own log, through the citizen e-service only
    "GetNoticeSettings": {K.CITIZEN},  # the patient's own notice settings, likewise
    "SetNoticeSettings": {K.CITIZEN},
    # the national results contract: journal systems and the national aggregating services
    "GetLaboratoryOrderOutcome": {K.EHR, K.AGGREGATOR},
}

# kind -> the statuses its SetOrderStatus may report
REPORTS: dict[SystemKind, set[OrderStatus]] = {
    K.SAMPLING: {S.KIT_SENT, S.SPECIMEN_COLLECTED, S.REJECTED},
    K.LAB: {S.KIT_SENT, S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB, S.REJECTED},
    K.STAFF_UI: {S.KIT_SENT, S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB, S.REJECTED},
    K.CITIZEN: set(),
    K.EHR: set(),
    K.AGGREGATOR: set(),
}


def system(kind: SystemKind, **kw: object) -> ConnectedSystem:
    return ConnectedSystem(f"SE2321000016-{kind.value[:3]}1", kind, f"a {kind} system", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("interaction", sorted(CALLERS))
@pytest.mark.parametrize("kind", list(K))
def test_who_may_call_each_interaction(interaction: str, kind: SystemKind) -> None:
    caller = system(kind)
    if kind in CALLERS[interaction]:
        assert access.check_interaction(caller, interaction) is caller
    else:
        with pytest.raises(CallerRefused, match=f"^a {kind} system may not call {interaction}$"):
            access.check_interaction(caller, interaction)


@pytest.mark.parametrize("kind", list(K))
def test_an_interaction_the_service_does_not_know_is_refused_to_every_kind(kind: SystemKind) -> None:
    for name in ("SetResults", "setresult", "PingForConfiguration", ""):
        with pytest.raises(CallerRefused):
            access.check_interaction(system(kind), name)


def test_an_unregistered_system_may_call_nothing() -> None:
    for interaction in CALLERS:
        with pytest.raises(CallerRefused, match="^the calling system is not registered with the service$"):
            access.check_interaction(None, interaction)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("kind", list(K))
def test_which_statuses_each_kind_may_report(kind: SystemKind, status: OrderStatus) -> None:
    if status in REPORTS[kind]:
        access.check_may_report(system(kind), status)
    else:
        with pytest.raises(RuleViolation, match=f"a {kind} system may not report {status}") as refused:
            access.check_may_report(system(kind), status)
        assert refused.value.sub_code is SubCode.NOT_PERMITTED


def test_a_system_acts_only_on_the_care_givers_it_serves() -> None:
    lab = system(K.LAB, care_givers=frozenset({"SE2321000016-CG1"}))
    access.check_serves(lab, "se2321000016-cg1")  # HSA-ids compare case-insensitively
    with pytest.raises(RuleViolation, match="^the calling system may not act on this care giver's data$") as refused:
        access.check_serves(lab, "SE2321000016-CG2")
    assert refused.value.sub_code is SubCode.NOT_PERMITTED
    access.check_serves(system(K.STAFF_UI, all_care_givers=True), "SE2321000016-CG2")


def test_the_care_givers_a_read_may_return() -> None:
    served = frozenset({"SE2321000016-CG1"})
    assert access.care_giver_scope(system(K.LAB, care_givers=served)) == served
    assert access.care_giver_scope(system(K.LAB, care_givers=frozenset())) == frozenset()
    assert access.care_giver_scope(system(K.EHR, care_givers=served, all_care_givers=True)) is None
