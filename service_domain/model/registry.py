"""What the service knows of its callers and keeps of each access: connected systems and
their signing keys, the audit record of each access to a patient's data, and the entry of
the patient's access log built from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..enums import ActorKind, AuditAction, SystemKind
from ..operations import Operation
from .values import Actor


@dataclass(frozen=True, slots=True)
class ConnectedSystem:
    """A system that calls the service (identified by its HSA-id), whose data it may touch,
    and (for a lab or sampling system) the units it acts for besides itself."""

    hsa_id: str
    kind: SystemKind
    name: str
    care_givers: frozenset[str] = frozenset()
    all_care_givers: bool = False
    units: frozenset[str] = frozenset()

    def serves(self, care_giver: str) -> bool:
        return self.all_care_givers or care_giver.upper() in self.care_givers

    def acts_for(self, unit: str) -> bool:
        """Whether the system reports for this lab or sampling unit (its own HSA-id, or a registered unit)."""
        u = unit.upper()
        return u == self.hsa_id.upper() or u in self.units


@dataclass(frozen=True, slots=True)
class SystemKey:
    """A public key a connected system signs with (a journal system's uthopp tokens)."""

    hsa_id: str
    key_id: str
    public_key_pem: str
    added_time: datetime


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: datetime
    operation: Operation
    action: AuditAction
    patient_id: str
    log_id: str
    consumer_hsa_id: str | None
    sender_hsa_id: str | None = None
    actor_id: str | None = None
    care_giver: str | None = None
    patient_type: str | None = None
    actor_kind: ActorKind | None = None
    care_unit: str | None = None  # where the acting staff member works, for calls from the staff web


@dataclass(frozen=True, slots=True)
class AccessLogEntry:
    """One access to a patient's data as the patient may read it: the audit record, with the
    names of the system, the care giver, the care unit and the person where the registers know
    them."""

    time: datetime
    action: AuditAction
    operation: Operation
    system_hsa_id: str | None
    system_name: str | None
    care_giver: str | None
    care_unit: str | None
    performed_by: Actor | None
    care_giver_name: str | None = None
    care_unit_name: str | None = None
