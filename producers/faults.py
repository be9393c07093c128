"""SOAP 1.1 faults that carry a logId and never personal data.

``Client`` is the caller's mistake (do not resend unchanged); ``Server`` is the service's
trouble; ``MustUnderstand`` and ``VersionMismatch`` are SOAP's own. The faultstring says
what was wrong and ends with the logId, which the service's log ties to the call.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from contracts.ns import CORE_NS, SOAP11_ENV_NS

CLIENT = "Client"
SERVER = "Server"
MUST_UNDERSTAND = "MustUnderstand"
VERSION_MISMATCH = "VersionMismatch"

UNAVAILABLE = "the service is temporarily unavailable; try again later"


class SoapFault(Exception):
    """A call answered with a SOAP fault; ``message`` names no personal data."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fault_document(code: str, message: str, log_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP11_ENV_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode>"
        f"<faultstring>{escape(message)} (logId {log_id})</faultstring>"
        f'<detail><core:logId xmlns:core="{CORE_NS}">{log_id}</core:logId></detail>'
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
