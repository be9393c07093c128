"""The fixed Swedish texts of notices, one per kind and channel.

A notice says only that something waits in the e-service, never what: no finding, no analysis,
no care unit, no date, no name. Anyone may see a phone's screen or a shared inbox. The texts take
no arguments, so nothing variable can slip into them.

An SMS is one segment: at most 160 characters, all of GSM 7-bit's basic set (å, ä, ö, é and ü
are in it; dashes, typographic quotes and the euro sign are not).
"""

from __future__ import annotations

from dataclasses import dataclass

from service_domain.model.notices import NoticeKind

SMS_MAX = 160

# GSM 03.38's basic character set (the escape table's characters take two septets: left out)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

_NO_REPLY = "Meddelandet skickades automatiskt och går inte att svara på."
_SIGNATURE = "Vänliga hälsningar\nEgen provhantering"


@dataclass(frozen=True, slots=True)
class EmailText:
    subject: str
    body: str


def _body(*paragraphs: str) -> str:
    return "\n\n".join(("Hej!", *paragraphs, _NO_REPLY, _SIGNATURE)) + "\n"


EMAIL: dict[NoticeKind, EmailText] = {
    NoticeKind.NEW_RESULT: EmailText(
        "Du har ett nytt provsvar att läsa",
        _body("Du har ett nytt provsvar att läsa i 1177. Logga in på 1177.se för att se det."),
    ),
    NoticeKind.KIT_SENT: EmailText(
        "Ditt provtagningsmaterial är skickat",
        _body("Provtagningsmaterialet du har beställt är skickat till dig. "
              "Logga in på 1177.se för att se mer om din beställning."),
    ),
    NoticeKind.KIT_RETURN_REMINDER: EmailText(
        "Påminnelse: skicka tillbaka ditt prov",
        _body("Tiden för att skicka tillbaka ditt prov går snart ut. "
              "Logga in på 1177.se för att se hur lång tid du har kvar."),
    ),
    NoticeKind.ORDER_EXPIRING: EmailText(
        "Din beställning går snart ut",
        _body("En beställning av provtagning som du har gjort går snart ut. "
              "Logga in på 1177.se för att se mer om den."),
    ),
}

SMS: dict[NoticeKind, str] = {
    NoticeKind.NEW_RESULT: "Du har ett nytt provsvar att läsa i 1177. Logga in på 1177.se för att se det. "
                           "Svara inte på detta sms.",
    NoticeKind.KIT_SENT: "Provtagningsmaterialet du har beställt är skickat. Logga in på 1177.se för att se mer. "
                         "Svara inte på detta sms.",
    NoticeKind.KIT_RETURN_REMINDER: "Påminnelse: tiden för att skicka tillbaka ditt prov går snart ut. "
                                    "Logga in på 1177.se. Svara inte på detta sms.",
    NoticeKind.ORDER_EXPIRING: "Din beställning av provtagning går snart ut. Logga in på 1177.se för att se mer. "
                               "Svara inte på detta sms.",
}


def email_text(kind: NoticeKind) -> EmailText:
    return EMAIL[kind]


def sms_text(kind: NoticeKind) -> str:
    return SMS[kind]


def fits_one_sms(text: str) -> bool:
    """Whether the text is one SMS segment: GSM 7-bit's basic set, at most 160 characters."""
    return len(text) <= SMS_MAX and set(text) <= GSM7_BASIC
