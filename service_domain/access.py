"""Who may do what: the connected-systems registry decides, per kind of system,
which interactions and status reports it may make, and which care givers' data it
may touch."""

from __future__ import annotations

from .errors import CallerRefused, RuleViolation, SubCode
from .model import ConnectedSystem, OrderStatus, SystemKind

K = SystemKind

INTERACTIONS_BY_KIND: dict[str, frozenset[SystemKind]] = {
    "GetOfferCatalog": frozenset({K.EHR, K.STAFF_UI, K.CITIZEN}),
    "AssignOffer": frozenset({K.EHR, K.STAFF_UI}),
    "RevokeOffer": frozenset({K.EHR, K.STAFF_UI}),
    "GetOffers": frozenset({K.CITIZEN, K.STAFF_UI, K.EHR}),
    "CreateOrder": frozenset({K.CITIZEN, K.STAFF_UI}),
    "GetOrders": frozenset({K.SAMPLING, K.LAB, K.STAFF_UI, K.CITIZEN, K.EHR}),
    "SetOrderStatus": frozenset({K.SAMPLING, K.LAB, K.STAFF_UI}),
    "CancelOrder": frozenset({K.CITIZEN, K.STAFF_UI, K.EHR}),
    "SetResult": frozenset({K.LAB, K.STAFF_UI}),
    "GetResults": frozenset({K.CITIZEN, K.EHR, K.STAFF_UI}),
    "GetSamplingSites": frozenset({K.CITIZEN, K.EHR, K.STAFF_UI}),
    "GetAccessLog": frozenset({K.CITIZEN}),
}

S = OrderStatus
REPORTABLE_STATUSES: dict[SystemKind, frozenset[OrderStatus]] = {
    K.SAMPLING: frozenset({S.KIT_SENT, S.SPECIMEN_COLLECTED, S.REJECTED}),
    K.LAB: frozenset({S.KIT_SENT, S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB, S.REJECTED}),
    K.STAFF_UI: frozenset({S.KIT_SENT, S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB, S.REJECTED}),
}


def check_interaction(system: ConnectedSystem | None, interaction: str) -> ConnectedSystem:
    """The system making the call, if it may make this interaction at all."""
    if system is None:
        raise CallerRefused("the calling system is not registered with the service")
    if system.kind not in INTERACTIONS_BY_KIND.get(interaction, frozenset()):
        raise CallerRefused(f"a {system.kind} system may not call {interaction}")
    return system


def check_serves(system: ConnectedSystem, care_giver: str) -> None:
    if not system.serves(care_giver):
        raise RuleViolation(SubCode.NOT_PERMITTED, "the calling system may not act on this care giver's data")


def check_may_report(system: ConnectedSystem, status: OrderStatus) -> None:
    if status not in REPORTABLE_STATUSES.get(system.kind, frozenset()):
        raise RuleViolation(SubCode.NOT_PERMITTED, f"a {system.kind} system may not report {status}")


def care_giver_scope(system: ConnectedSystem) -> frozenset[str] | None:
    """The care givers whose data a read may return; None means all of them."""
    return None if system.all_care_givers else system.care_givers
