"""When may the patient see a result? The release rules of the service domain.

- A POSITIVE interpretation on a notifiable offer needs staff follow-up: a follow-up
  case is opened for the accountable care unit (or the open one is used).
- IMMEDIATE: every version is released when stored.
- AFTER_FOLLOW_UP_IF_POSITIVE: a version that needs follow-up is held until staff close
  the case; so is every version stored while a case is open for the order (a
  correction must not reach the patient before the follow-up does). Anything
  else is released at once.
- AFTER_REVIEW: nothing is released until staff release it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import LaboratoryResult, ResultRelease


@dataclass(frozen=True, slots=True)
class ReleaseDecision:
    released: bool
    needs_follow_up: bool


def needs_follow_up(notifiable: bool, result: LaboratoryResult) -> bool:
    return notifiable and result.is_positive


def decide(
    rule: ResultRelease, notifiable: bool, result: LaboratoryResult, case_open: bool
) -> ReleaseDecision:
    follow_up = needs_follow_up(notifiable, result)
    if rule is ResultRelease.IMMEDIATE:
        released = True
    elif rule is ResultRelease.AFTER_FOLLOW_UP_IF_POSITIVE:
        released = not (follow_up or case_open)
    else:
        released = False
    return ReleaseDecision(released=released, needs_follow_up=follow_up)


def released_when_case_closes(rule: ResultRelease) -> bool:
    """Closing a follow-up case releases the versions it held, except under AFTER_REVIEW."""
    return rule is ResultRelease.AFTER_FOLLOW_UP_IF_POSITIVE
