"""Errors the domain raises. Messages say what was wrong, never whose data it was."""

from __future__ import annotations

from enum import StrEnum


class SubCode(StrEnum):
    """APPLICATION_ERROR sub-codes of the service domain."""

    UNKNOWN_ID = "EPH001"
    WRONG_STATE = "EPH002"
    TRANSITION_REFUSED = "EPH003"
    NOT_IN_CATALOGUE = "EPH004"
    VERSION_CONFLICT = "EPH005"
    NOT_PERMITTED = "EPH006"


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    """Input breaks a rule the schema cannot express (a write answers VALIDATION_ERROR,
    a read answers a SOAP Fault ``Client``). The consumer must not resend it unchanged."""


class RuleViolation(DomainError):
    """A business rule refused a write (APPLICATION_ERROR with a sub-code)."""

    def __init__(self, sub_code: SubCode, message: str) -> None:
        super().__init__(message)
        self.sub_code = sub_code


class CallerRefused(DomainError):
    """The calling system may not make this call at all (unknown system, or the
    interaction is not one its kind of system may use)."""
