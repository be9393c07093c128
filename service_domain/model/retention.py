"""Retention: how long each kind of data is kept, and when a stored thing has outlived it.

The periods and the legal basis of each are data (``DEFAULT_RETENTION``), which an operator
overrides per kind in configuration; the rules here only say from when a period counts and
what keeps a thing whatever its age. The service layer asks these rules about what the storage
hands over; the storage deletes (or anonymises) what they let go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ..enums import OfferStatus
from .follow_up import FollowUpCase
from .notices import NoticeSettings
from .offers import Offer
from .orders import Order
from .results import StoredResult


class RetentionKind(StrEnum):
    LOGISTICS = "logistics"  # a finished order's delivery address and contact phone
    UNFULFILLED = "unfulfilled"  # cancelled and expired orders without results; ended offers without orders
    RESULTS = "results"  # orders with results: the results, specimens, status history
    FOLLOW_UP = "follow_up"  # closed follow-up cases and their steps
    NOTICES = "notices"  # the patient's notice settings (contact details) and the log of notices sent
    STAFF_SESSIONS = "staff_sessions"  # the staff web's sessions
    AUDIT = "audit"  # the audit records of accesses to patients' data


class RetentionAction(StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"  # the row stays, its personal data cleared


@dataclass(frozen=True, slots=True)
class Retention:
    """How long one kind is kept, what becomes of it then, and on what grounds (free text)."""

    kind: RetentionKind
    period: timedelta
    action: RetentionAction
    basis: str


_DAY = timedelta(days=1)

DEFAULT_RETENTION: Mapping[RetentionKind, Retention] = {
    r.kind: r
    for r in (
        Retention(RetentionKind.LOGISTICS, 90 * _DAY, RetentionAction.ANONYMISE,
                  "Dataskyddsförordningen art. 5.1 c och e (uppgiftsminimering, lagringsminimering): adress och "
                  "telefon behövs för att skicka och hämta provtagningsmaterial, inte sedan beställningen avslutats"),
        Retention(RetentionKind.UNFULFILLED, 365 * _DAY, RetentionAction.DELETE,
                  "Dataskyddsförordningen art. 5.1 e (lagringsminimering): inget prov togs, ingen journaluppgift; "
                  "ett år för patientens frågor och vårdgivarens uppföljning av erbjudanden"),
        Retention(RetentionKind.RESULTS, 3650 * _DAY, RetentionAction.DELETE,
                  "Patientdatalagen (2008:355) 3 kap. 17 § (journalhandling bevaras minst tio år efter sista "
                  "anteckningen), räknat från att svaret lämnades ut eller beställningen avslutades"),
        Retention(RetentionKind.FOLLOW_UP, 3650 * _DAY, RetentionAction.DELETE,
                  "Patientdatalagen (2008:355) 3 kap. 17 § (uppföljningen är journaluppgift), räknat från att "
                  "ärendet stängdes"),
        Retention(RetentionKind.NOTICES, 90 * _DAY, RetentionAction.DELETE,
                  "Dataskyddsförordningen art. 5.1 e (lagringsminimering): kontaktuppgifterna behövs bara medan "
                  "patienten har en beställning eller ett erbjudande i tjänsten"),
        Retention(RetentionKind.STAFF_SESSIONS, timedelta(hours=12), RetentionAction.DELETE,
                  "Dataskyddsförordningen art. 32 (säkerhet i behandlingen): en session behövs bara medan den används"),
        Retention(RetentionKind.AUDIT, 4380 * _DAY, RetentionAction.DELETE,
                  "Patientdatalagen (2008:355) 4 kap. 3 § och HSLF-FS 2016:40 4 kap. 9 § 7 (loggarna sparas minst "
                  "fem år): loggen sparas längre än uppgifterna den loggar, så att åtkomst kan granskas under hela deras tid"),
    )
}


class RetentionError(ValueError):
    """A retention configuration that would break the rules (the message names the kind)."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """The retention of every kind: the defaults, with an operator's overrides."""

    kinds: Mapping[RetentionKind, Retention]

    @classmethod
    def with_overrides(
        cls, periods: Mapping[RetentionKind, timedelta] | None = None, bases: Mapping[RetentionKind, str] | None = None
    ) -> RetentionPolicy:
        """The defaults with these periods and bases in their place; RetentionError when a period
        is not positive or the audit records would not outlive the data they log."""
        kinds = dict(DEFAULT_RETENTION)
        for kind, period in (periods or {}).items():
            if period <= timedelta(0):
                raise RetentionError(f"the retention period of {kind} must be positive")
            kinds[kind] = replace(kinds[kind], period=period)
        for kind, basis in (bases or {}).items():
            kinds[kind] = replace(kinds[kind], basis=basis)
        longest = max(r.period for k, r in kinds.items() if k is not RetentionKind.AUDIT)
        if kinds[RetentionKind.AUDIT].period < longest:
            raise RetentionError("the retention period of audit must be at least as long as every other kind's")
        return cls(kinds)

    def __getitem__(self, kind: RetentionKind) -> Retention:
        return self.kinds[kind]

    def cutoff(self, kind: RetentionKind, now: datetime) -> datetime:
        """What of ``kind`` ended before this moment has outlived its period."""
        return now - self.kinds[kind].period


DEFAULT_POLICY = RetentionPolicy(DEFAULT_RETENTION)


@dataclass(frozen=True, slots=True)
class DeletionRecord:
    """What one retention run removed of one kind: how many, of what ended before ``cutoff``.
    No personal data: no identity, no order, no content."""

    kind: RetentionKind
    cutoff: datetime
    count: int
    time: datetime
    node: str


def order_end(order: Order) -> datetime | None:
    """When a finished order ended (its last status change); None while it is open."""
    if order.is_open:
        return None
    return max((c.time for c in order.history), default=order.created_time)


def order_retention(
    order: Order, newest: StoredResult | None, cases: Iterable[FollowUpCase]
) -> tuple[RetentionKind, datetime] | None:
    """The kind a finished order is kept as and the moment its period counts from; None while
    it must be kept whatever its age: the order is open, its newest result is not yet released
    (the patient is still to read it), or a follow-up case of it is open.

    An order with a result is kept as a result, counted from its end or the result's release,
    whichever came later (what the patient reads in 1177 stays its full period); one without,
    as cancelled or expired. A closed follow-up case keeps it as long as the case is kept."""
    end = order_end(order)
    if end is None:
        return None
    if newest is None:
        kind, start = RetentionKind.UNFULFILLED, end
    elif not newest.released or newest.release_time is None:
        return None
    else:
        kind, start = RetentionKind.RESULTS, max(end, newest.release_time)
    for case in cases:
        if case.closed_time is None:
            return None
    return kind, start


def order_expired(
    order: Order, newest: StoredResult | None, cases: Iterable[FollowUpCase], policy: RetentionPolicy, now: datetime
) -> RetentionKind | None:
    """The kind as which the order (with everything tied to it) goes now; None: it stays."""
    cases = list(cases)
    kept = order_retention(order, newest, cases)
    if kept is None:
        return None
    kind, start = kept
    if start >= policy.cutoff(kind, now):
        return None
    if any(c.closed_time is not None and c.closed_time >= policy.cutoff(RetentionKind.FOLLOW_UP, now) for c in cases):
        return None
    return kind


def logistics_expired(order: Order, policy: RetentionPolicy, now: datetime) -> bool:
    """Whether a finished order's delivery address and contact phone go now."""
    end = order_end(order)
    has_logistics = order.delivery_address is not None or order.contact_phone is not None
    return has_logistics and end is not None and end < policy.cutoff(RetentionKind.LOGISTICS, now)


def offer_expired(offer: Offer, policy: RetentionPolicy, now: datetime) -> bool:
    """Whether an offer that no order refers to goes now: it has ended (counted from its validTo:
    a revoked offer's revocation is not stored, and it came before validTo)."""
    ended = offer.status is not OfferStatus.ACTIVE or offer.valid_to < now
    return ended and offer.valid_to < policy.cutoff(RetentionKind.UNFULFILLED, now)


def contact_expired(
    settings: NoticeSettings, offers: Iterable[Offer], orders: Iterable[Order], policy: RetentionPolicy, now: datetime
) -> bool:
    """Whether the patient's contact details go now: neither they nor any order or offer of the
    patient's (open, or ended) has been in use within the notices period."""
    cutoff = policy.cutoff(RetentionKind.NOTICES, now)
    if settings.changed_time >= cutoff:
        return False
    for offer in offers:
        if (offer.status is OfferStatus.ACTIVE and offer.valid_to >= now) or offer.valid_to >= cutoff:
            return False
    for order in orders:
        end = order_end(order)
        if end is None or end >= cutoff:
            return False
    return True
