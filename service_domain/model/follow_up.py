"""Follow-up of a result of a notifiable offer that is not explicitly negative: a case for the
accountable care unit, the steps staff take, and its closing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..clock import CLOCK_SKEW
from ..enums import FollowUpStatus, FollowUpStepKind
from ..errors import InvalidRequest, RuleViolation, SubCode
from .offers import new_id
from .orders import Order

NOT_CONTACTED = "the patient has not been contacted: record that step, or give the reason the case closes without it"


@dataclass(frozen=True, slots=True)
class FollowUpStep:
    """One step of a follow-up, as staff recorded it: what, when it happened, who did it."""

    kind: FollowUpStepKind
    time: datetime
    performed_by: str
    recorded_time: datetime
    note: str | None = None


@dataclass(slots=True)
class FollowUpCase:
    """Staff follow-up of a result of a notifiable offer that is not explicitly negative."""

    case_id: str
    order_id: str
    care_giver: str
    care_unit: str
    opened_time: datetime
    status: FollowUpStatus = FollowUpStatus.OPEN
    closed_time: datetime | None = None
    closed_by: str | None = None
    note: str | None = None
    steps: list[FollowUpStep] = field(default_factory=list)

    @classmethod
    def open(cls, order: Order, now: datetime) -> FollowUpCase:
        """A case for the order's accountable care unit."""
        return cls(new_id(), order.order_id, order.care_giver, order.care_unit, now)

    def done(self, kind: FollowUpStepKind) -> bool:
        return any(s.kind is kind for s in self.steps)

    def record_step(self, step: FollowUpStep) -> None:
        """A step of an open case; it may be recorded again (a second attempt to reach the patient)."""
        if self.status is not FollowUpStatus.OPEN:
            raise RuleViolation(SubCode.WRONG_STATE, "the follow-up case is closed")
        if step.time < self.opened_time - CLOCK_SKEW:
            raise InvalidRequest("the step's time lies before the case was opened")
        self.steps.append(step)

    def close(self, by: str, now: datetime, note: str | None = None) -> None:
        """Closing releases the finding to the patient (under most release rules), so a case
        closes once the patient has been contacted, or with the reason, recorded as its note,
        why it closes without that."""
        if self.status is FollowUpStatus.CLOSED:
            raise RuleViolation(SubCode.WRONG_STATE, "the follow-up case is already closed")
        if not self.done(FollowUpStepKind.PATIENT_CONTACTED) and not (note and note.strip()):
            raise RuleViolation(SubCode.WRONG_STATE, NOT_CONTACTED)
        self.status = FollowUpStatus.CLOSED
        self.closed_time = now
        self.closed_by = by
        self.note = note
