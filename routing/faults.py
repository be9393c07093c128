"""The platform's errors (VP codes) as SOAP 1.1 faults, worded as the national platform words them.

HTTP 500, text/xml; faultcode soap:Client for the caller's mistakes and soap:Server for the
rest. The faultstring is ``<code> [<platform name>] <the code's message>``, the national
platform's message for the code (Swedish), so that consumers that read faultstrings work
unchanged against either platform. The detail holds one ``<detailString>`` element (no
namespace, as the national platform writes it) with the English explanation of this call:
which contract, receiver and sender were involved, never any message content or personal
data (values that reach it have passed ``routing.redact``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from contracts.ns import SOAP11_ENV_NS

CLIENT, SERVER = "Client", "Server"

# code: (fault code, the national platform's message for the code)
VP_CODES: dict[str, tuple[str, str]] = {
    "VP001": (CLIENT, "Rivta-version saknas i anrop eller stöds ej av tjänsteplattformen."),
    "VP002": (CLIENT, "Fel i klientcertifikat. Saknas, är av felaktig typ, eller är felaktigt utformad."),
    "VP003": (CLIENT, "Logisk adressat (ReceiverId) saknas i RivHeadern i inkommande meddelande."),
    "VP004": (CLIENT, "Det finns inget vägval i tjänsteadresseringskatalogen som matchar anropets logiska adressat "
                      "(ReceiverId) och tjänstekontrakt. Kontrollera uppgifterna i anropet och vid behov, beställ "
                      "konfigurering i aktuell tjänsteplattform."),
    "VP005": (CLIENT, "Tjänsteproducenten stödjer inte anropets angivna rivta-version. Kontrollera uppgifterna."),
    "VP006": (SERVER, "Internt fel i tjänsteplattformen. Det finns fler än en tjänsteproducent definierad i "
                      "tjänsteadresseringskatalogen som matchar logisk adressat (ReceiverId), tjänstekontrakt och "
                      "dagens datum. Tyder på felkonfiguration. Rapportera felet till tjänsteplattformsförvaltningen."),
    "VP007": (SERVER, "Tjänstekonsumenten saknar behörighet att anropa den logiska adressaten via detta "
                      "tjänstekontrakt. Kontrollera uppgifterna och vid behov, tillse att det beställs konfiguration i "
                      "aktuell tjänsteplattform."),
    "VP008": (SERVER, "Internt fel i tjänsteplattformen. Ingen kontakt med tjänsteadresseringskatalogen. Informera "
                      "tjänsteplattformsförvaltningen."),
    "VP009": (SERVER, "Fel vid kontakt med tjänsteproducenten."),
    "VP010": (SERVER, "Internt fel i tjänsteplattformen. URL saknas för tjänsteproducenten i tjänsteplattformens "
                      "tjänsteadresseringskatalog."),
    "VP011": (CLIENT, "Anrop har gjorts utanför TLS vilket ej är tillåtet. Tjänstekonsumenten ska alltid använda TLS "
                      "för säker kommunikation."),
    "VP012": (SERVER, "Internt fel i tjänsteplattformen. Nödvändiga resurser saknas för att VP skall fungera."),
    "VP013": (CLIENT, "Enligt tjänsteplattformens konfiguration saknar tjänstekonsumenten rätt att använda headern "
                      "x-rivta-original-serviceconsumer-hsaid. Kontakta tjänsteplattformsförvaltningen."),
    "VP014": (SERVER, "Anropsförmedlingen för den logiska adressaten har givit upphov till rundgång mellan "
                      "tjänsteplattformar. Rapportera felet till tjänsteplattformsförvaltningen."),
    "VP015": (CLIENT, "Anrop ej korrekt utformat och kan därför inte behandlas."),
}


def call_summary(contract: str, receiver: str, sender: str | None = None) -> str:
    """The national platform's way of naming a call in a fault's detail."""
    text = f"serviceNamespace: {contract}, receiverId: {receiver}"
    return text if sender is None else f"{text}, senderId: {sender}"


class VpError(Exception):
    """A call the platform answers with a VP fault. ``detail`` must hold no message content."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code} {detail}")
        self.code = code
        self.detail = detail

    @property
    def fault_code(self) -> str:
        return VP_CODES[self.code][0]

    def fault_string(self, platform_name: str) -> str:
        return f"{self.code} [{platform_name}] {VP_CODES[self.code][1]}"


def fault_envelope(code: str, fault_string: str, detail: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11_ENV_NS}"><soap:Header/><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(fault_string)}</faultstring>"
        f"<detail><detailString>{escape(detail)}</detailString></detail>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def vp_fault(error: VpError, platform_name: str) -> bytes:
    return fault_envelope(error.fault_code, error.fault_string(platform_name), error.detail)
