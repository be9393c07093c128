"""The platform's errors (VP codes) as SOAP 1.1 faults.

HTTP 500, text/xml; faultcode soap:Client for the caller's mistakes and soap:Server for the
rest; the faultstring starts with the code; the detail explains in English which contract,
receiver and sender were involved, never any message content or personal data.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

CLIENT, SERVER = "Client", "Server"

# code: (fault code, what the code means)
VP_CODES: dict[str, tuple[str, str]] = {
    "VP001": (CLIENT, "The call has no RIV-TA profile, or one the platform does not support"),
    "VP002": (CLIENT, "No sender id: the client certificate is missing, of the wrong type or has no SERIALNUMBER"),
    "VP003": (CLIENT, "No logical address (receiver) in the message header"),
    "VP004": (CLIENT, "No routing in the service catalogue for this logical address and service contract"),
    "VP005": (CLIENT, "The service producer does not support the RIV-TA profile of the call"),
    "VP006": (SERVER, "More than one routing matches the logical address and service contract; the catalogue is misconfigured"),
    "VP007": (SERVER, "The service consumer is not authorized to call this logical address with this service contract"),
    "VP008": (SERVER, "The routing catalogue could not be loaded and no local copy exists"),
    "VP009": (SERVER, "Error calling the service producer"),
    "VP010": (SERVER, "The routing's call address has no URL"),
    "VP011": (CLIENT, "The caller is not allowed to call over plain HTTP; use TLS"),
    "VP012": (SERVER, "The platform lacks a resource it needs"),
    "VP013": (CLIENT, "The sender may not set x-rivta-original-serviceconsumer-hsaid"),
    "VP014": (SERVER, "Routing loop between service platforms"),
    "VP015": (CLIENT, "The request could not be parsed"),
}


class VpError(Exception):
    """A call the platform answers with a VP fault. ``detail`` must hold no message content."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code} {detail}")
        self.code = code
        self.detail = detail

    @property
    def fault_code(self) -> str:
        return VP_CODES[self.code][0]

    @property
    def fault_string(self) -> str:
        return f"{self.code} {VP_CODES[self.code][1]}"


def fault_envelope(code: str, fault_string: str, detail: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(fault_string)}</faultstring>"
        f"<detail>{escape(detail)}</detail>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def vp_fault(error: VpError) -> bytes:
    return fault_envelope(error.fault_code, error.fault_string, error.detail)
