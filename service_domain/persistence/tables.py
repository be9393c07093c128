"""Tables of the service domain (SQLAlchemy Core).

Times are stored as UTC without zone (``UTCDateTime``) so SQLite and PostgreSQL
agree; JSON columns hold value objects that are only ever read whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A monotonically growing row number; INTEGER PRIMARY KEY is SQLite's rowid alias.
SeqType = BigInteger().with_variant(Integer(), "sqlite")
HSA = String(31)
ID = String(64)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


service_setting = Table(
    "service_setting",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# A lease on a job that one process of all the service's nodes runs at a time (housekeeping).
service_lease = Table(
    "service_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires", UTCDateTime, nullable=False),
)

offer_definition = Table(
    "offer_definition",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("care_giver", HSA, nullable=False),
    Column("offer_code", String(64), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("analyses", JSON, nullable=False),
    Column("sampling_modes", String(32), nullable=False),
    Column("specimen_material", JSON),
    Column("notifiable", Boolean, nullable=False),
    Column("result_release", String(32), nullable=False),
    Column("validity_days", Integer, nullable=False),
    Column("max_orders", Integer, nullable=False),
    Column("performing_lab", HSA, nullable=False),
    Column("min_age", Integer),
    Column("max_age", Integer),
    Column("patient_instructions", Text),
    Column("active", Boolean, nullable=False),
    Column("kit_return_days", Integer, nullable=False, server_default=text("0")),
    Column("self_service", Boolean, nullable=False, server_default=text("false")),
    Column("self_service_orders_per_year", Integer),
    Column("accountable_care_unit", HSA),
    UniqueConstraint("care_giver", "offer_code", name="uq_offer_definition_care_giver_code"),
)

offer = Table(
    "offer",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("offer_id", ID, nullable=False, unique=True),
    Column("offer_code", String(64), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("patient_type", String(64), nullable=False),
    Column("patient_id", String(32), nullable=False, index=True),
    Column("care_giver", HSA, nullable=False),
    Column("care_unit", HSA, nullable=False),
    Column("assigned_by", JSON, nullable=False),
    Column("assigned_time", UTCDateTime, nullable=False),
    Column("valid_to", UTCDateTime, nullable=False),
    Column("max_orders", Integer, nullable=False),
    Column("orders_placed", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("sampling_modes", String(32), nullable=False),
    Column("comment", Text),
    # the population register's word on the patient when the offer was made or last looked up
    Column("protected_identity", Boolean, nullable=False, server_default=false()),
    Index("ix_offer_status_valid_to", "status", "valid_to"),
)

patient_order = Table(
    "patient_order",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("order_id", ID, nullable=False, unique=True),
    Column("referral_id", String(16), nullable=False),
    Column("offer_id", ID, ForeignKey("offer.offer_id"), nullable=False),
    Column("offer_code", String(64), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("patient_type", String(64), nullable=False),
    Column("patient_id", String(32), nullable=False),
    Column("status", String(24), nullable=False),
    Column("sampling_mode", String(16), nullable=False),
    Column("performing_lab", HSA),
    Column("sampling_unit", HSA),
    Column("care_giver", HSA, nullable=False),
    Column("care_unit", HSA, nullable=False),
    Column("result_recipient_unit", HSA),
    Column("analyses", JSON, nullable=False),
    Column("created_time", UTCDateTime, nullable=False),
    Column("valid_to", UTCDateTime, nullable=False),
    Column("notifiable", Boolean, nullable=False),
    Column("result_release", String(32), nullable=False),
    Column("delivery_address", JSON),
    Column("contact_phone", String(24)),
    Column("kit_return_days", Integer, nullable=False, server_default=text("0")),
    # as the offer's: a protected person's order keeps no delivery address
    Column("protected_identity", Boolean, nullable=False, server_default=false()),
    # GetOrders selectors, each with the paging key so a page is one index range scan
    Index("ix_patient_order_patient_seq", "patient_id", "seq"),
    Index("ix_patient_order_lab_seq", "performing_lab", "seq"),
    Index("ix_patient_order_unit_seq", "sampling_unit", "seq"),
    Index("ix_patient_order_offer", "offer_id", "sampling_mode"),
    Index("ix_patient_order_status_valid_to", "status", "valid_to"),
    # a look-up by referral id finds at most one order, whatever its status
    Index("uq_patient_order_referral", "referral_id", unique=True),
)

order_status_change = Table(
    "order_status_change",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("order_seq", SeqType, ForeignKey("patient_order.seq"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("performed_by", JSON, nullable=False),
    Column("unit", HSA),
    Column("reason", JSON),
    Column("comment", Text),
    Index("ix_order_status_change_order", "order_seq", "id"),
)

specimen = Table(
    "specimen",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("order_seq", SeqType, ForeignKey("patient_order.seq"), nullable=False),
    Column("identifier", String(255), nullable=False),
    Column("material", JSON),
    Column("collected_time", UTCDateTime),
    UniqueConstraint("order_seq", "identifier", name="uq_specimen_order_identifier"),
)

lab_result = Table(
    "lab_result",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("order_id", ID, ForeignKey("patient_order.order_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("report_status", String(16), nullable=False),
    Column("report_time", UTCDateTime, nullable=False),
    Column("content", JSON, nullable=False),
    Column("received_time", UTCDateTime, nullable=False),
    Column("released", Boolean, nullable=False),
    Column("release_time", UTCDateTime),
    Column("follow_up_case_id", ID),
    UniqueConstraint("order_id", "version", name="uq_lab_result_order_version"),
)

follow_up_case = Table(
    "follow_up_case",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("order_id", ID, ForeignKey("patient_order.order_id"), nullable=False),
    Column("care_giver", HSA, nullable=False),
    Column("care_unit", HSA, nullable=False),
    Column("opened_time", UTCDateTime, nullable=False),
    Column("status", String(8), nullable=False),
    Column("closed_time", UTCDateTime),
    Column("closed_by", String(64)),
    Column("note", Text),
    Index("ix_follow_up_case_order_status", "order_id", "status"),
    Index("ix_follow_up_case_status_opened", "status", "opened_time"),
)

connected_system = Table(
    "connected_system",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("all_care_givers", Boolean, nullable=False),
)

connected_system_care_giver = Table(
    "connected_system_care_giver",
    metadata,
    Column("hsa_id", HSA, ForeignKey("connected_system.hsa_id", ondelete="CASCADE"), primary_key=True),
    Column("care_giver", HSA, primary_key=True),
)

# the labs and sampling units a connected system reports for, besides itself
connected_system_unit = Table(
    "connected_system_unit",
    metadata,
    Column("hsa_id", HSA, ForeignKey("connected_system.hsa_id", ondelete="CASCADE"), primary_key=True),
    Column("unit", HSA, primary_key=True),
)

sampling_site = Table(
    "sampling_site",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("care_giver", HSA, nullable=False, index=True),
    Column("street", String(255), nullable=False),
    Column("postal_code", String(8), nullable=False),
    Column("city", String(255), nullable=False),
    Column("opening_hours", Text),
    Column("performing_lab", HSA, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

# the names of care givers and care units, as the HSA catalogue has them (for the patient's access log)
unit_name = Table(
    "unit_name",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("name", String(255), nullable=False),
)

reserve_number_type = Table(
    "reserve_number_type",
    metadata,
    Column("oid", String(64), primary_key=True),
    Column("care_giver", HSA, nullable=False),
    Column("name", String(255), nullable=False),
    Column("pattern", String(255)),
)

audit_record = Table(
    "audit_record",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("time", UTCDateTime, nullable=False),
    Column("interaction", String(64), nullable=False),
    Column("action", String(8), nullable=False),
    Column("patient_id", String(32), nullable=False),
    Column("patient_type", String(64)),
    Column("log_id", String(36), nullable=False),
    Column("consumer_hsa_id", String(64)),
    Column("sender_hsa_id", String(64)),
    Column("actor_id", String(64)),
    Column("care_giver", HSA),
    Column("care_unit", HSA),
    Column("actor_kind", String(8)),
    Index("ix_audit_record_patient_time", "patient_id", "time"),
    Index("ix_audit_record_patient_id", "patient_id", "id"),
    Index("ix_audit_record_log_id", "log_id"),
    # the log review: a care giver's records newest first, alone or by one filter, so that a page
    # is one index range scan (the patient filter uses ix_audit_record_patient_time)
    Index("ix_audit_record_care_giver_time", "care_giver", "time", "id"),
    Index("ix_audit_record_care_giver_actor", "care_giver", "actor_id", "time", "id"),
    Index("ix_audit_record_care_giver_unit", "care_giver", "care_unit", "time", "id"),
    Index("ix_audit_record_care_giver_system", "care_giver", "consumer_hsa_id", "time", "id"),
    Index("ix_audit_record_care_giver_interaction", "care_giver", "interaction", "time", "id"),
)

# A log reviewer's verdict on a flag of the log review: the check (rule) and the audit record it
# flagged identify the flag; one review each.
log_review_flag = Table(
    "log_review_flag",
    metadata,
    Column("care_giver", HSA, primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("record_id", BigInteger, primary_key=True),
    Column("reviewed_by", HSA, nullable=False),
    Column("reviewed_time", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False),
)

follow_up_step = Table(
    "follow_up_step",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("case_id", ID, ForeignKey("follow_up_case.case_id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("performed_by", String(64), nullable=False),
    Column("recorded_time", UTCDateTime, nullable=False),
    Column("note", Text),
    Index("ix_follow_up_step_case", "case_id", "id"),
)

connected_system_key = Table(
    "connected_system_key",
    metadata,
    Column("hsa_id", HSA, ForeignKey("connected_system.hsa_id", ondelete="CASCADE"), primary_key=True),
    Column("key_id", String(128), primary_key=True),
    Column("public_key", Text, nullable=False),
    Column("added_time", UTCDateTime, nullable=False),
)

# The staff registry. A member's units and the functions held at each (comma-separated);
# the development-login password hash is kept apart from the member's row.
staff_member = Table(
    "staff_member",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("care_giver", HSA, nullable=False),
    Column("active", Boolean, nullable=False),
    # the member's personal identity number, optional (the log review's check of own records)
    Column("person_id", String(32)),
    Index("ix_staff_member_care_giver", "care_giver"),
)

staff_care_unit = Table(
    "staff_care_unit",
    metadata,
    Column("hsa_id", HSA, ForeignKey("staff_member.hsa_id", ondelete="CASCADE"), primary_key=True),
    Column("care_unit", HSA, primary_key=True),
    Column("functions", String(64), nullable=False),
)

staff_dev_login = Table(
    "staff_dev_login",
    metadata,
    Column("hsa_id", HSA, ForeignKey("staff_member.hsa_id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("changed_time", UTCDateTime, nullable=False),
)

# The outbox: events written with the change they tell of, delivered by a worker (see
# service_domain/model/outbox.py). A worker claims an event until ``claim_expires``.
outbox_event = Table(
    "outbox_event",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("event_id", ID, nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_time", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", UTCDateTime, nullable=False),
    Column("claimed_by", String(128)),
    Column("claim_expires", UTCDateTime),
    Column("last_error", String(200)),
    Column("delivered_time", UTCDateTime),
    Index("ix_outbox_event_state_next", "state", "next_attempt"),
)

# Notices to the patient (service_domain/model/notices.py). The settings hold personal data (the
# e-mail address or mobile number): read and written through the service's audited functions
# only. The sent log keeps no address and no content: which event, whom, which kind, when; the
# rate limit counts it and a retry of a recorded event sends nothing. A reminder written is
# remembered per order and kind, so housekeeping writes each reminder once.
notice_settings = Table(
    "notice_settings",
    metadata,
    Column("patient_id", String(32), primary_key=True),
    Column("patient_type", String(64), primary_key=True),
    Column("channel", String(8), nullable=False),
    Column("email", String(254)),
    Column("mobile", String(16)),
    Column("changed_time", UTCDateTime, nullable=False),
)

notice_sent = Table(
    "notice_sent",
    metadata,
    Column("event_id", ID, primary_key=True),
    Column("patient_id", String(32), nullable=False),
    Column("patient_type", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("order_id", ID, nullable=False),
    Column("channel", String(8), nullable=False),
    Column("sent_time", UTCDateTime, nullable=False),
    Index("ix_notice_sent_patient_time", "patient_id", "sent_time"),
)

notice_reminder = Table(
    "notice_reminder",
    metadata,
    Column("order_id", ID, primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("written_time", UTCDateTime, nullable=False),
)

# The deletion record: what each retention run removed of each kind (service_domain/model/retention.py).
# No personal data: a kind, the moment before which its data had ended, how many, when, which node.
retention_run = Table(
    "retention_run",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("cutoff", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("node", String(128), nullable=False),
    Index("ix_retention_run_time", "time"),
)

# regions: a region is itself a care giver; its catalogue lists the offer and analysis codes
# the care givers under it may use (JSON lists of strings)
region = Table(
    "region",
    metadata,
    Column("hsa_id", HSA, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("phone", String(32)),
    Column("email", String(254)),
    Column("offer_codes", JSON, nullable=False),
    Column("analyses", JSON, nullable=False),
)

region_agreement = Table(
    "region_agreement",
    metadata,
    Column("agreement_id", ID, primary_key=True),
    Column("region", HSA, ForeignKey("region.hsa_id"), nullable=False),
    Column("care_giver", HSA, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("own", Boolean, nullable=False),
    Index("ix_region_agreement_care_giver", "care_giver"),
    Index("ix_region_agreement_region", "region"),
)
