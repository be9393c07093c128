"""The coded values of the service domain (the contract's enumerations) as Python enums."""

from __future__ import annotations

from enum import StrEnum


class SamplingMode(StrEnum):
    SITE = "SITE"
    HOME_KIT = "HOME_KIT"


class ResultRelease(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    AFTER_FOLLOW_UP_IF_POSITIVE = "AFTER_FOLLOW_UP_IF_POSITIVE"
    AFTER_REVIEW = "AFTER_REVIEW"


class OfferStatus(StrEnum):
    ACTIVE = "ACTIVE"
    USED = "USED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class OrderStatus(StrEnum):
    ORDERED = "ORDERED"
    KIT_SENT = "KIT_SENT"
    SPECIMEN_COLLECTED = "SPECIMEN_COLLECTED"
    RECEIVED_BY_LAB = "RECEIVED_BY_LAB"
    PRELIMINARY_RESULT = "PRELIMINARY_RESULT"
    FINAL_RESULT = "FINAL_RESULT"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


# An order is open until it has a final result or has ended otherwise.
CLOSED_ORDER_STATUSES = frozenset(
    {OrderStatus.FINAL_RESULT, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
OPEN_ORDER_STATUSES = frozenset(OrderStatus) - CLOSED_ORDER_STATUSES


class ReportStatus(StrEnum):
    PRELIMINARY = "PRELIMINARY"
    PARTIAL = "PARTIAL"
    FINAL = "FINAL"
    CORRECTED = "CORRECTED"


class Interpretation(StrEnum):
    NORMAL = "NORMAL"
    LOW = "LOW"
    HIGH = "HIGH"
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    INCONCLUSIVE = "INCONCLUSIVE"


class AnalysisStatus(StrEnum):
    FINAL = "FINAL"
    PRELIMINARY = "PRELIMINARY"
    CANNOT_BE_DONE = "CANNOT_BE_DONE"
    ENTERED_IN_ERROR = "ENTERED_IN_ERROR"  # a value withdrawn because it was sent in error


class ActorKind(StrEnum):
    PATIENT = "PATIENT"
    STAFF = "STAFF"
    SYSTEM = "SYSTEM"


class SystemKind(StrEnum):
    LAB = "LAB"
    SAMPLING = "SAMPLING"
    CITIZEN = "CITIZEN"
    EHR = "EHR"
    STAFF_UI = "STAFF_UI"
    AGGREGATOR = "AGGREGATOR"  # a national aggregating service (NPÖ, 1177 Journalen) reading results


class FollowUpStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class FollowUpStepKind(StrEnum):
    PATIENT_CONTACTED = "PATIENT_CONTACTED"
    TREATMENT = "TREATMENT"
    CONTACT_TRACING_STARTED = "CONTACT_TRACING_STARTED"
    SMINET_REPORTED = "SMINET_REPORTED"


class AuditAction(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
