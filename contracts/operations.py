"""Every operation the service performs on a caller's behalf, by name.

An operation is what a call does: one of the contract's interactions (named as in the
release), one of the staff web's own operations, or the service's own housekeeping. Its
name is what an entry of the patient's access log carries (``AccessLogEntryType``'s
``interaction``), so the list belongs with the contract: a consumer that shows the log
(the 1177 e-service) reads entries by it without knowing the service's code. A value, once
used, never changes: audit records keep it for years.

The service domain takes the enum from here (``service_domain.operations``): each service
function pins the operation it performs, and the access rules, the staff functions rule and
the audit records are keyed by it.
"""

from __future__ import annotations

from enum import StrEnum


class Operation(StrEnum):
    # the interactions of clinicalprocess:activity:selfsampling
    GET_OFFER_CATALOG = "GetOfferCatalog"
    ASSIGN_OFFER = "AssignOffer"
    REVOKE_OFFER = "RevokeOffer"
    GET_OFFERS = "GetOffers"
    CREATE_ORDER = "CreateOrder"
    GET_ORDERS = "GetOrders"
    SET_ORDER_STATUS = "SetOrderStatus"
    CANCEL_ORDER = "CancelOrder"
    SET_RESULT = "SetResult"
    GET_RESULTS = "GetResults"
    GET_SAMPLING_SITES = "GetSamplingSites"
    GET_ACCESS_LOG = "GetAccessLog"
    GET_NOTICE_SETTINGS = "GetNoticeSettings"
    SET_NOTICE_SETTINGS = "SetNoticeSettings"
    # the national contract for laboratory results (clinicalprocess:healthcond:actoutcome)
    GET_LABORATORY_ORDER_OUTCOME = "GetLaboratoryOrderOutcome"
    # the staff web's own: the patient page, the worklists and what staff do on them
    PATIENT_VIEW = "PatientView"
    RESULT_WORKLIST = "ResultWorklist"
    RESULT_ORDER = "ResultOrder"
    FOLLOW_UP_QUEUE = "FollowUpQueue"
    FOLLOW_UP_CASE = "FollowUpCase"
    RECORD_FOLLOW_UP_STEP = "RecordFollowUpStep"
    CLOSE_FOLLOW_UP = "CloseFollowUp"
    REVIEW_QUEUE = "ReviewQueue"
    REVIEW_ORDER = "ReviewOrder"
    RELEASE_RESULTS = "ReleaseResults"
    MANAGE_CATALOGUE = "ManageCatalogue"
    MANAGE_STAFF = "ManageStaff"
    # the care giver's log review: searching and checking who accessed patients' data
    LOG_REVIEW = "LogReview"
    # the region's administration: its agreements, contact and catalogue, and its statistics
    MANAGE_REGION = "ManageRegion"
    REGION_STATISTICS = "RegionStatistics"
    # the service's own: offers and orders expired when their time is up
    HOUSEKEEPING = "Housekeeping"
    # the service's own: a notice sent to the patient (it read the address the patient chose)
    SEND_NOTICE = "SendNotice"


# The service's own operations: no system calls them, no staff function allows them.
SERVICE_OWN: frozenset[Operation] = frozenset({Operation.HOUSEKEEPING, Operation.SEND_NOTICE})


# The operations that are contract interactions (a system calls them through the platform).
INTERACTIONS: frozenset[Operation] = frozenset(
    {
        Operation.GET_OFFER_CATALOG,
        Operation.ASSIGN_OFFER,
        Operation.REVOKE_OFFER,
        Operation.GET_OFFERS,
        Operation.CREATE_ORDER,
        Operation.GET_ORDERS,
        Operation.SET_ORDER_STATUS,
        Operation.CANCEL_ORDER,
        Operation.SET_RESULT,
        Operation.GET_RESULTS,
        Operation.GET_SAMPLING_SITES,
        Operation.GET_ACCESS_LOG,
        Operation.GET_NOTICE_SETTINGS,
        Operation.SET_NOTICE_SETTINGS,
        Operation.GET_LABORATORY_ORDER_OUTCOME,
    }
)
