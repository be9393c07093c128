"""The domain model of self-managed sampling: offers, orders, specimens, results, follow-up.

Plain data and the rules that belong to each object: an offer is assigned within its catalogue
entry's limits and counts the orders taken from it; an order is placed from an offer, moves
through its statuses only as the status machine allows and takes result versions by the
version rules; a follow-up case records its steps until it is closed. No I/O here: the service
layer (``services``) loads and stores through a unit of work. All times are timezone-aware.
"""

from __future__ import annotations

from ..enums import (
    CLOSED_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    ActorKind,
    AnalysisStatus,
    AuditAction,
    FollowUpStatus,
    FollowUpStepKind,
    Interpretation,
    OfferStatus,
    OrderStatus,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    SystemKind,
)
from .definitions import Analysis, OfferDefinition, ReserveNumberType, SamplingSite
from .follow_up import FollowUpCase, FollowUpStep
from .log_review import (
    BurstLimit,
    Flag,
    FlagReview,
    LoggedAccess,
    LogQuery,
    OfficeHours,
    ReviewedPerson,
    Rule,
    StaffPatient,
)
from .notices import (
    NoticeChannel,
    NoticeDue,
    NoticeKind,
    NoticePolicy,
    NoticeSettings,
    OutgoingNotice,
    SentNotice,
)
from .offers import Assignment, Offer, new_id
from .orders import Order, SamplingChoice, StatusChange, StatusReport
from .outbox import EventKind, EventState, IndexUpdate, OutboxCounts, OutboxEvent, RetryPolicy
from .population import PICKUP_POINT_ONLY, PersonRecord, RegisterAnswer
from .registry import AccessLogEntry, AuditRecord, ConnectedSystem, SystemKey
from .results import AnalysisResult, LaboratoryResult, StoredResult
from .retention import (
    DEFAULT_POLICY,
    DEFAULT_RETENTION,
    DeletionRecord,
    Retention,
    RetentionAction,
    RetentionError,
    RetentionKind,
    RetentionPolicy,
)
from .values import Actor, Bound, Code, DeliveryAddress, Interval, Quantity, Specimen, Value

__all__ = [
    "BurstLimit",
    "Flag",
    "FlagReview",
    "LogQuery",
    "LoggedAccess",
    "OfficeHours",
    "ReviewedPerson",
    "Rule",
    "StaffPatient",
    "CLOSED_ORDER_STATUSES",
    "DEFAULT_POLICY",
    "DEFAULT_RETENTION",
    "DeletionRecord",
    "Retention",
    "RetentionAction",
    "RetentionError",
    "RetentionKind",
    "RetentionPolicy",
    "OPEN_ORDER_STATUSES",
    "AccessLogEntry",
    "Actor",
    "ActorKind",
    "Analysis",
    "AnalysisResult",
    "AnalysisStatus",
    "Assignment",
    "AuditAction",
    "AuditRecord",
    "Bound",
    "Code",
    "ConnectedSystem",
    "DeliveryAddress",
    "EventKind",
    "EventState",
    "FollowUpCase",
    "FollowUpStatus",
    "FollowUpStep",
    "FollowUpStepKind",
    "IndexUpdate",
    "Interpretation",
    "Interval",
    "LaboratoryResult",
    "Offer",
    "OfferDefinition",
    "OfferStatus",
    "Order",
    "OrderStatus",
    "OutboxCounts",
    "NoticeChannel",
    "NoticeDue",
    "NoticeKind",
    "NoticePolicy",
    "NoticeSettings",
    "OutboxEvent",
    "PICKUP_POINT_ONLY",
    "PersonRecord",
    "RegisterAnswer",
    "OutgoingNotice",
    "SentNotice",
    "Quantity",
    "ReportStatus",
    "ReserveNumberType",
    "ResultRelease",
    "RetryPolicy",
    "SamplingChoice",
    "SamplingMode",
    "SamplingSite",
    "Specimen",
    "StatusChange",
    "StatusReport",
    "StoredResult",
    "SystemKey",
    "SystemKind",
    "Value",
    "new_id",
]
