"""Swedish words for the domain's codes, as the pages show them."""

from __future__ import annotations

from service_domain.model import (
    FollowUpStepKind,
    Interpretation,
    OfferStatus,
    OrderStatus,
    ReportStatus,
    ResultRelease,
    SamplingMode,
)
from service_domain.staff import StaffFunction

ORDER_STATUS = {
    OrderStatus.ORDERED: "Beställd",
    OrderStatus.KIT_SENT: "Provtagningskit skickat",
    OrderStatus.SPECIMEN_COLLECTED: "Prov taget",
    OrderStatus.RECEIVED_BY_LAB: "Mottagen av laboratoriet",
    OrderStatus.PRELIMINARY_RESULT: "Preliminärt svar",
    OrderStatus.FINAL_RESULT: "Slutligt svar",
    OrderStatus.CANCELLED: "Avbokad",
    OrderStatus.REJECTED: "Avvisad",
    OrderStatus.EXPIRED: "Har gått ut",
}
OFFER_STATUS = {
    OfferStatus.ACTIVE: "Aktivt",
    OfferStatus.USED: "Använt",
    OfferStatus.REVOKED: "Återkallat",
    OfferStatus.EXPIRED: "Har gått ut",
}
SAMPLING_MODE = {SamplingMode.SITE: "Provtagning på mottagning", SamplingMode.HOME_KIT: "Hemtest"}
REPORT_STATUS = {
    ReportStatus.PRELIMINARY: "Preliminärt",
    ReportStatus.PARTIAL: "Delsvar",
    ReportStatus.FINAL: "Slutligt",
    ReportStatus.CORRECTED: "Rättat",
}
INTERPRETATION = {
    Interpretation.NORMAL: "Normalt",
    Interpretation.LOW: "Lågt",
    Interpretation.HIGH: "Högt",
    Interpretation.POSITIVE: "Positivt",
    Interpretation.NEGATIVE: "Negativt",
    Interpretation.INCONCLUSIVE: "Går inte att bedöma",
}
RESULT_RELEASE = {
    ResultRelease.IMMEDIATE: "Direkt",
    ResultRelease.AFTER_FOLLOW_UP_IF_POSITIVE: "Efter uppföljning om positivt",
    ResultRelease.AFTER_REVIEW: "Efter granskning",
}
FUNCTION = {
    StaffFunction.ASSIGN: "Tilldela erbjudanden",
    StaffFunction.SAMPLING: "Provtagning",
    StaffFunction.RESULTS: "Registrera provsvar",
    StaffFunction.FOLLOW_UP: "Smittskyddsuppföljning",
    StaffFunction.ADMIN: "Sortiment och behörigheter",
    StaffFunction.LOG_REVIEW: "Logggranskare",
    StaffFunction.REGION_ADMIN: "Regionadministratör",
}
STEP = {
    FollowUpStepKind.PATIENT_CONTACTED: "Patienten kontaktad",
    FollowUpStepKind.TREATMENT: "Behandling",
    FollowUpStepKind.CONTACT_TRACING_STARTED: "Smittspårning påbörjad",
    FollowUpStepKind.SMINET_REPORTED: "Anmäld i SmiNet",
}


def counted(n: int, one: str, many: str) -> str:
    """A number with its words in the singular or the plural: 1 nytt erbjudande, 2 nya erbjudanden."""
    return f"{n} {one if n == 1 else many}"
