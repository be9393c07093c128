"""When may the patient see a result? The release rules of the service domain.

- On a notifiable offer the rule fails safe: a result version needs staff follow-up unless
  every finding in it is explicitly negative. A finding is an analysis that reports a value
  (FINAL or PRELIMINARY); it is explicitly negative only with the interpretation NEGATIVE
  and a value that is not one of the analysis's coded positive values (configured in the
  catalogue). So a positive interpretation, a coded positive value, or no interpretation at
  all holds the result. A version with no finding (every analysis CANNOT_BE_DONE, or a
  withdrawal) discloses nothing and needs no follow-up.
- A follow-up case is opened for the accountable care unit (or the open one is used).
- IMMEDIATE: every version is released when stored.
- AFTER_FOLLOW_UP_IF_POSITIVE: a version that needs follow-up is held until staff close
  the case; so is every version stored while a case is open for the order (a correction
  must not reach the patient before the follow-up does). Anything else is released at once.
- AFTER_REVIEW: nothing is released until staff release it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import AnalysisResult, Code, Interpretation, LaboratoryResult, ResultRelease

PositiveValues = Callable[[Code], tuple[Code, ...]]


@dataclass(frozen=True, slots=True)
class ReleaseDecision:
    released: bool
    needs_follow_up: bool


def is_explicitly_negative(a: AnalysisResult, positive_values: tuple[Code, ...]) -> bool:
    if isinstance(a.value, Code) and any(a.value.same_concept(p) for p in positive_values):
        return False
    return a.interpretation is Interpretation.NEGATIVE


def needs_follow_up(notifiable: bool, result: LaboratoryResult, positive_values: PositiveValues) -> bool:
    return notifiable and any(
        a.is_finding and not is_explicitly_negative(a, positive_values(a.code)) for a in result.analysis_results
    )


def decide(
    rule: ResultRelease, notifiable: bool, result: LaboratoryResult, case_open: bool, positive_values: PositiveValues
) -> ReleaseDecision:
    follow_up = needs_follow_up(notifiable, result, positive_values)
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
