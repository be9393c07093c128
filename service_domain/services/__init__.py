"""The service layer: one function per interaction and per staff operation, one module per
capability.

Each function performs one operation (pinned with ``calls.performs``) in one unit of work:
it checks the input (``checks``) and the caller, loads what it needs (locking what it will
change), asks the model, stores the outcome, records the access to patients' data and
commits. On any error nothing is written. Reads raise ``InvalidRequest`` / ``CallerRefused``;
writes raise those or ``RuleViolation``; the producers turn them into SOAP Faults or
ResultType, the staff web into pages.

- ``offers``: the offer catalogue, assigning and revoking offers, the patient's offers;
- ``orders``: ordering, finding orders, status reports, cancelling, sampling sites;
- ``results``: result versions from labs and typed in by staff, reading results;
- ``follow_up``: follow-up cases, review and release of held results;
- ``staff``: the staff web's patient page and the staff registry;
- ``registry``: catalogues, sampling sites, connected systems, keys, reservnummer kinds;
- ``regions``: regions, their agreements with care givers, their catalogue limits and statistics;
- ``access_log``: the patient's access log;
- ``log_review``: the care giver's log review (searches, checks, reviews of flags, export);
- ``outcomes``: released results for the national results contract (GetLaboratoryOrderOutcome);
- ``housekeeping``: expiry of offers and orders, and the storage's health;
- ``retention``: deleting or anonymising what has outlived its retention period;
- ``outbox``: delivering the events written with results (imported as a module);
- ``notices``: the patient's notice settings, the notice events, the decisions at delivery;
- ``calls``: the call as performed, the caller's checks and the audit records.
"""

from __future__ import annotations

from .access_log import AccessLogPage, get_access_log
from .calls import PERFORMED_BY, Call, WriteOutcome, performs
from .follow_up import (
    FOLLOW_UP_NOTE_MAX,
    CaseEntry,
    CaseView,
    ReviewView,
    close_follow_up,
    follow_up_case,
    follow_up_queue,
    list_follow_ups,
    record_follow_up_step,
    release_results,
    review_order,
    review_queue,
)
from .housekeeping import EXPIRY_BATCH, HOUSEKEEPING_ACTOR, expire_due, ping
from .log_review import (
    FlagsPage,
    LogFilters,
    LogPage,
    ReviewSettings,
    export_log,
    log_flags,
    review_flag,
    search_log,
)
from .notices import (
    forget_sent,
    get_notice_settings,
    prepare_notice,
    record_notice_sent,
    remind_due,
    set_notice_settings,
)
from .offers import assign_offer, get_offer_catalog, get_offers, revoke_offer
from .orders import (
    REFERRAL_ALPHABET,
    REFERRAL_LENGTH,
    OrdersPage,
    cancel_order,
    create_order,
    get_orders,
    get_sampling_sites,
    set_order_status,
)
from .outcomes import LaboratoryOrderOutcomes, OutcomeView, get_laboratory_order_outcome
from .regions import (
    RegionView,
    add_agreement,
    end_agreement,
    list_agreements,
    list_regions,
    put_region,
    region_contact,
    region_statistics,
    region_view,
)
from .registry import (
    add_system_key,
    export_catalogue,
    import_catalogue,
    list_sampling_sites,
    register_reserve_number_type,
    register_sampling_sites,
    register_systems,
    register_unit_names,
    remove_system_key,
    signing_keys,
    unit_names,
)
from .results import (
    RECENT_FINAL,
    RESULT_WORKLIST_LIMIT,
    OrderResultView,
    ResultOrderView,
    ResultWorklist,
    WorklistEntry,
    get_results,
    result_order,
    result_worklist,
    set_result,
)
from .retention import RETENTION_BATCH, apply_retention, deletion_records
from .staff import (
    STAFF_NAME_MAX,
    PatientView,
    dev_password_hash,
    find_staff_member,
    grant_functions,
    list_staff,
    patient_view,
    register_staff,
    revoke_functions,
    set_dev_password,
    set_staff_person_id,
)

__all__ = [
    "RETENTION_BATCH",
    "apply_retention",
    "deletion_records",
    "RegionView",
    "add_agreement",
    "end_agreement",
    "list_agreements",
    "list_regions",
    "put_region",
    "region_contact",
    "region_statistics",
    "region_view",
    "EXPIRY_BATCH",
    "FOLLOW_UP_NOTE_MAX",
    "HOUSEKEEPING_ACTOR",
    "PERFORMED_BY",
    "RECENT_FINAL",
    "REFERRAL_ALPHABET",
    "REFERRAL_LENGTH",
    "RESULT_WORKLIST_LIMIT",
    "STAFF_NAME_MAX",
    "AccessLogPage",
    "LaboratoryOrderOutcomes",
    "OutcomeView",
    "Call",
    "CaseEntry",
    "CaseView",
    "OrderResultView",
    "OrdersPage",
    "PatientView",
    "ResultOrderView",
    "ResultWorklist",
    "ReviewView",
    "WorklistEntry",
    "WriteOutcome",
    "add_system_key",
    "assign_offer",
    "cancel_order",
    "close_follow_up",
    "create_order",
    "dev_password_hash",
    "expire_due",
    "export_catalogue",
    "find_staff_member",
    "follow_up_case",
    "follow_up_queue",
    "get_access_log",
    "get_laboratory_order_outcome",
    "forget_sent",
    "get_notice_settings",
    "get_offer_catalog",
    "get_offers",
    "get_orders",
    "get_results",
    "get_sampling_sites",
    "grant_functions",
    "import_catalogue",
    "prepare_notice",
    "record_notice_sent",
    "remind_due",
    "set_notice_settings",
    "list_follow_ups",
    "list_sampling_sites",
    "list_staff",
    "patient_view",
    "performs",
    "ping",
    "record_follow_up_step",
    "register_reserve_number_type",
    "register_unit_names",
    "unit_names",
    "register_sampling_sites",
    "register_staff",
    "register_systems",
    "release_results",
    "remove_system_key",
    "result_order",
    "result_worklist",
    "review_order",
    "review_queue",
    "revoke_functions",
    "revoke_offer",
    "set_dev_password",
    "set_staff_person_id",
    "FlagsPage",
    "LogFilters",
    "LogPage",
    "ReviewSettings",
    "export_log",
    "log_flags",
    "review_flag",
    "search_log",
    "set_order_status",
    "set_result",
    "signing_keys",
]
