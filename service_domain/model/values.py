"""The value objects of the service domain: coded values, actors, quantities and intervals,
addresses and specimens. Immutable; compared by value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..enums import ActorKind


@dataclass(frozen=True, slots=True)
class Code:
    """A coded value (CVType): a code in a code system, or only the original text of an
    uncoded concept."""

    code: str | None
    code_system: str | None
    code_system_name: str | None = None
    display_name: str | None = None
    original_text: str | None = None
    code_system_version: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the concept: (code system, code), or ("", original text) when uncoded."""
        if self.code is not None and self.code_system is not None:
            return (self.code_system, self.code)
        return ("", (self.original_text or "").strip().lower())

    def same_concept(self, other: Code) -> bool:
        return self.key == other.key


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a patient (personal identity number), a staff member or a system (HSA-id)."""

    kind: ActorKind
    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Quantity:
    """A physical quantity: the value exactly as written (5.0 and 5.00 are not the same
    report) and a UCUM unit."""

    value: str
    unit: str


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of an interval."""

    value: str
    unit: str
    inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval of quantities (a value "< 0.5", or a reference interval), with text."""

    low: Bound | None = None
    high: Bound | None = None
    text: str | None = None


# What an analysis reports: a quantity, free text, a coded finding or an interval.
Value = Quantity | str | Code | Interval


@dataclass(frozen=True, slots=True)
class DeliveryAddress:
    name: str
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class Specimen:
    identifier: str
    material: Code | None = None
    collected_time: datetime | None = None
