"""The operations of the service domain: the contract's interactions, the staff web's own
operations and the housekeeping. The enum is published with the contract
(``contracts.operations``), since the patient's access log names them. Each service
function pins the one it performs (``services.calls.performs``); the access rules
(``access``), the staff functions rule (``staff``) and the audit records are keyed by it."""

from __future__ import annotations

from contracts.operations import INTERACTIONS, SERVICE_OWN, Operation

__all__ = ["INTERACTIONS", "SERVICE_OWN", "Operation"]
