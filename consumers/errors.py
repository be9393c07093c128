"""What can go wrong when calling the service, as exceptions a program can act on."""

from __future__ import annotations


class ConsumerError(Exception):
    """Any failed call. ``correlation_id`` is the platform's id of the call (for support)."""

    correlation_id: str | None = None


class LogicalError(ConsumerError):
    """The service refused a write: ``result`` had resultCode ERROR.

    VALIDATION_ERROR: the request breaks a rule; do not resend it unchanged.
    APPLICATION_ERROR: a business rule said no; ``sub_code`` (EPH001..EPH006) says which.
    """

    def __init__(self, error_code: str | None, sub_code: str | None, message: str | None, log_id: str,
                 result_code: str = "ERROR") -> None:
        self.result_code = result_code
        self.error_code = error_code
        self.sub_code = sub_code
        self.log_id = log_id
        self.message = message or ""
        what = " ".join(x for x in (error_code, sub_code) if x)
        super().__init__(f"{what}: {self.message} (logId {log_id})")


class ServiceFault(ConsumerError):
    """The service answered with a SOAP Fault (a read with bad input, or a broken request)."""

    def __init__(self, fault_code: str, message: str, log_id: str | None = None) -> None:
        self.fault_code = fault_code
        self.message = message
        self.log_id = log_id
        super().__init__(f"{fault_code}: {message}")


class VpFault(ConsumerError):
    """The platform refused or could not deliver the call (a VP code)."""

    def __init__(self, code: str, fault_code: str, message: str, detail: str | None) -> None:
        self.code = code
        self.fault_code = fault_code
        self.message = message
        self.detail = detail
        super().__init__(f"{message}" + (f" ({detail})" if detail else ""))

    @property
    def resend_may_help(self) -> bool:
        """VP008 and VP009 are passing troubles of the platform or producer; the rest need a fix."""
        return self.code in ("VP008", "VP009")


class RequestError(ConsumerError):
    """The request does not follow the contract; it was not sent."""


class TransportError(ConsumerError):
    """The platform could not be reached at all."""
