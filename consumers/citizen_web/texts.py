"""Swedish texts: order statuses as the patient sees them, result values, the access log, and
what the service or the platform answered, in plain words (never codes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from contracts.operations import Operation

from ..errors import ConsumerError, LogicalError, RequestError, ServiceFault, TransportError, VpFault
from ..roles import extension

# An order whose result the patient cannot read yet shows the same words whatever the reason:
# still at the lab, or held for follow-up by the care giver (a difference would disclose a finding).
NOT_YET = "Provsvaret är inte klart än"

STATUS = {
    "ORDERED": "Beställd",
    "KIT_SENT": "Provtagningskitet är skickat",
    "SPECIMEN_COLLECTED": "Provet är taget",
    "RECEIVED_BY_LAB": NOT_YET,
    "PRELIMINARY_RESULT": NOT_YET,
    "FINAL_RESULT": NOT_YET,
    "CANCELLED": "Avbokad",
    "REJECTED": "Provet kunde inte analyseras",
    "EXPIRED": "Har gått ut",
}
WITH_RESULT = {"PRELIMINARY": "Preliminärt svar finns", "PARTIAL": "Delsvar finns",
               "FINAL": "Svar finns", "CORRECTED": "Svar finns (rättat)"}
CANCELLABLE = frozenset({"ORDERED", "KIT_SENT"})
WAITING = frozenset({"SPECIMEN_COLLECTED", "RECEIVED_BY_LAB", "PRELIMINARY_RESULT", "FINAL_RESULT"})

# notices: the patient's choices, in the order the page offers them, and what the page says
NOTICE_CHOICES = (("EMAIL", "E-post"), ("SMS", "Sms"), ("NONE", "Inga aviseringar"))
NOTICES_OFF = "Du får inga aviseringar."
NOTICES_SAVED = "Ditt val är sparat."
NOTICES_TURNED_OFF = "Aviseringarna är avstängda."
NOTICE_ERRORS = {
    "channel": "Välj hur du vill bli aviserad.",
    "email": "Skriv en e-postadress, till exempel namn@exempel.se.",
    "mobile": "Skriv ett svenskt mobilnummer, till exempel 070-123 45 67.",
}


def notice_choice(settings: Any) -> str:
    """The patient's current choice in a sentence (the address shown to the patient only)."""
    if settings is None or settings.channel == "NONE":
        return NOTICES_OFF
    if settings.channel == "EMAIL":
        return f"Du får aviseringar med e-post till {settings.emailAddress}."
    return f"Du får aviseringar med sms till {mobile(settings.mobileNumber)}."


def mobile(number: str | None) -> str:
    """+46701234567 as 070-123 45 67."""
    if not number or not number.startswith("+46") or len(number) != 12:
        return number or ""
    n = "0" + number[3:]
    return f"{n[:3]}-{n[3:6]} {n[6:8]} {n[8:]}"


MODE = {"SITE": "Provtagning på mottagning", "HOME_KIT": "Provtagningskit hem"}
OFFER_STATUS = {"ACTIVE": "Kan beställas", "USED": "Använt", "REVOKED": "Återkallat", "EXPIRED": "Har gått ut"}
REPORT = {"PRELIMINARY": "Preliminärt svar", "PARTIAL": "Delsvar", "FINAL": "Slutligt svar", "CORRECTED": "Rättat svar"}
INTERPRETATION = {"NORMAL": "Normalt", "LOW": "Lägre än referensintervallet", "HIGH": "Högre än referensintervallet",
                  "POSITIVE": "Positivt", "NEGATIVE": "Negativt", "INCONCLUSIVE": "Går inte att bedöma"}
ANALYSIS_STATUS = {"PRELIMINARY": "Preliminärt", "CANNOT_BE_DONE": "Kunde inte utföras",
                   "ENTERED_IN_ERROR": "Återkallat av laboratoriet"}

# The access log says who read or changed the patient's data and when, but the kind of change
# only in words that disclose no finding: a lab's result and a follow-up case read like any other
# update or look-up of the order (a result held for follow-up must not show before the contact).
_UPDATED = "Uppdaterade en beställning"
_OPENED = "Öppnade dina uppgifter"
ACCESS: dict[Operation, str] = {
    Operation.GET_OFFERS: "Läste dina erbjudanden",
    Operation.ASSIGN_OFFER: "Gav dig ett erbjudande",
    Operation.REVOKE_OFFER: "Återkallade ett erbjudande",
    Operation.CREATE_ORDER: "Registrerade en beställning",
    Operation.GET_ORDERS: "Läste dina beställningar",
    Operation.CANCEL_ORDER: "Avbokade en beställning",
    Operation.GET_RESULTS: "Läste dina provsvar",
    Operation.GET_LABORATORY_ORDER_OUTCOME: "Läste dina provsvar",
    Operation.GET_SAMPLING_SITES: "Läste vilka mottagningar du kan välja",
    Operation.GET_ACCESS_LOG: "Läste den här loggen",
    Operation.GET_NOTICE_SETTINGS: "Läste dina val för aviseringar",
    Operation.SET_NOTICE_SETTINGS: "Ändrade dina val för aviseringar",
    Operation.SEND_NOTICE: "Läste din adress för att skicka en avisering",
    Operation.SET_ORDER_STATUS: _UPDATED,
    Operation.SET_RESULT: _UPDATED,
    Operation.RECORD_FOLLOW_UP_STEP: _UPDATED,
    Operation.CLOSE_FOLLOW_UP: _UPDATED,
    Operation.RELEASE_RESULTS: _UPDATED,
    Operation.HOUSEKEEPING: _UPDATED,
    Operation.PATIENT_VIEW: _OPENED,
    Operation.FOLLOW_UP_CASE: _OPENED,
    Operation.REVIEW_ORDER: _OPENED,
    Operation.RESULT_ORDER: _OPENED,
    Operation.LOG_REVIEW: "Granskade vem som har läst dina uppgifter (logggranskning)",
}


def access(interaction: str, action: str) -> str:
    """What an access-log entry says was done: by the operation it names, else by its action."""
    try:
        return ACCESS[Operation(interaction)]
    except (ValueError, KeyError):
        return _UPDATED if action == "WRITE" else _OPENED


ACTION = {"READ": "Läsning", "WRITE": "Ändring"}
OWN_SYSTEM = "1177, den här e-tjänsten"


def system(entry: Any, own_system: str) -> str:
    """The system of an access-log entry: this e-service, or the system's name or HSA-id."""
    if entry.systemHSAId == own_system:
        return OWN_SYSTEM
    return str(entry.systemName or entry.systemHSAId or "–")


def place(entry: Any, kind: str) -> str:
    """An entry's care unit (``kind`` "careUnit") or care giver ("careGiver"): its name where the
    service's registers know it (an extension element of the entry), else its HSA-id; "" if none."""
    hsa_id = getattr(entry, f"{kind}HSAId", None)
    if not hsa_id:
        return ""
    return extension(entry, f"{kind}Name") or f"HSA-id {hsa_id}"


def person(entry: Any, patient: str) -> str:
    """Who did it: the patient, another person, a staff member by name (else HSA-id), or ""."""
    who = entry.performedBy
    if who is None:
        return ""
    if who.actorType == "PATIENT":
        return "Du själv" if who.id == patient else "En annan person"
    if who.actorType == "STAFF":
        return str(who.name or who.id)
    return ""


def counted(n: int, one: str, many: str) -> str:
    """A number with its word in the singular or the plural: 1 läsning, 2 läsningar, 0 läsningar."""
    return f"{n} {one if n == 1 else many}"

# What the service answers a refused write with (its own words are English, for logs), by sub-code
# and, for the refusals a patient meets, by the start of its message.
BY_MESSAGE = (
    ("the patient's age is outside", "Provet kan inte beställas för din ålder."),
    ("the care giver is not under the patient's home region",
     "Provet kan bara beställas från vårdgivare i den region där du är folkbokförd."),
    ("the population register gives no home region", "Vi kan inte se vilken region du hör till, så provet "
                                                     "kan inte beställas här. Kontakta din vårdcentral."),
    ("the care giver has no agreement in force", "Vårdgivaren tar inte emot beställningar just nu."),
    ("the patient already has an open order", "Du har redan en pågående beställning av det här provet. "
                                              "Avboka den eller vänta tills den är klar."),
    ("at most ", "Du har redan beställt det här provet så många gånger som går under ett år."),
    ("the offer does not allow sampling mode", "Erbjudandet går inte att använda på det sättet. "
                                               "Välj ett annat sätt att lämna provet."),
    ("the offer cannot be ordered from", "Erbjudandet kan inte användas längre."),
    ("the offer has expired", "Erbjudandet har gått ut."),
    ("samplingUnitHSAId is not a sampling site", "Mottagningen finns inte bland dem du kan välja."),
    ("through the citizen e-service only the patient", "Beställningen finns inte."),
)
BY_SUB_CODE = {
    "EPH001": "Det du valde finns inte längre. Gå tillbaka och försök igen.",
    "EPH002": "Det går inte just nu: erbjudandet eller beställningen är inte i ett läge som tillåter det.",
    "EPH003": "Beställningen har redan gått vidare och kan inte ändras.",
    "EPH004": "Erbjudandet går inte att använda på det sättet, eller passar inte dig.",
    "EPH005": "Det gick inte att genomföra. Försök igen.",
    "EPH006": "Det här går inte att göra via 1177.",
}
# the service's answer to a home kit to the address of a patient with protected identity
# (docs/contracts.md, "Protected identity"): the patient is told to choose a pickup point
PICKUP_POINT_ONLY = "for this patient a home kit is sent only to a pickup point"
PICKUP_ONLY = ("Kitet kan inte skickas till en adress åt dig. Välj i stället en mottagning där du hämtar det "
               "(”Hämta kitet på en mottagning”).")
VALIDATION = "Uppgifterna godtogs inte. Kontrollera det du skrev och försök igen."
UNAVAILABLE = "Tjänsten svarar inte just nu. Försök igen om en stund."
FAILED = "Något gick fel. Försök igen om en stund. Kontakta 1177 om felet kvarstår."


def refusal(error: ConsumerError) -> str:
    """A sentence for the patient; codes, log ids and the service's own words stay out of the page."""
    if isinstance(error, LogicalError):
        if error.message.startswith(PICKUP_POINT_ONLY):
            return PICKUP_ONLY
        if error.error_code == "VALIDATION_ERROR":
            return VALIDATION
        for start, text in BY_MESSAGE:
            if error.message.startswith(start):
                return text
        return BY_SUB_CODE.get(error.sub_code or "", FAILED)
    if isinstance(error, VpFault):
        return UNAVAILABLE if error.resend_may_help else FAILED
    if isinstance(error, TransportError):
        return UNAVAILABLE
    if isinstance(error, ServiceFault):
        return UNAVAILABLE if "temporarily" in error.message else FAILED
    if isinstance(error, RequestError):
        return VALIDATION
    return FAILED


def number(value: Any) -> str:
    """A decimal as written by the lab, with a decimal comma."""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",")


def quantity(pq: Any) -> str:
    return f"{number(pq.value)} {pq.unit}" if pq is not None else ""


def bound(b: Any) -> str:
    return number(b.value) if b is not None else ""


def interval(iv: Any) -> str:
    """A reference interval or an interval value: 27–42 mmol/mol, högst 5, lägst 1, or its text."""
    if iv is None:
        return ""
    low, high = iv.low, iv.high
    unit = (high or low).unit if (high or low) is not None else ""
    if low is not None and high is not None:
        shown = f"{bound(low)}–{bound(high)} {unit}"
    elif high is not None:
        shown = f"{'under' if high.inclusive is False else 'högst'} {bound(high)} {unit}"
    elif low is not None:
        shown = f"{'över' if low.inclusive is False else 'lägst'} {bound(low)} {unit}"
    else:
        shown = ""
    text = iv.text or ""
    return " ".join(x for x in (shown.strip(), f"({text})" if text and shown else text) if x)


def value(a: Any) -> str:
    if a.pq is not None:
        return quantity(a.pq)
    if a.coded is not None:
        return str(a.coded.displayName or a.coded.originalText or a.coded.code or "")
    if a.interval is not None:
        return interval(a.interval)
    return str(a.text or "")


def timestamp(ts: str | None, with_time: bool = True) -> str:
    """YYYYMMDDhhmmss (Swedish local time) as 2026-11-26 10:15."""
    if not ts or len(ts) < 8:
        return ""
    day = f"{ts[0:4]}-{ts[4:6]}-{ts[6:8]}"
    return f"{day} {ts[8:10]}:{ts[10:12]}" if with_time and len(ts) >= 12 else day


def personnummer(number: str) -> str:
    return f"{number[:8]}-{number[8:]}" if len(number) == 12 else number
