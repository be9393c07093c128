"""Laboratory results: the versions a lab reports for an order, and each version as stored
with whether the patient may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..enums import AnalysisStatus, Interpretation, ReportStatus
from .values import Actor, Code, Interval, Value


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    code: Code
    value: Value | None
    status: AnalysisStatus
    display_name: str | None = None
    reference_interval: Interval | None = None
    interpretation: Interpretation | None = None
    comment: str | None = None

    @property
    def is_finding(self) -> bool:
        """Whether it reports a finding (a value), rather than that none was made or one was withdrawn."""
        return self.value is not None and self.status in (AnalysisStatus.FINAL, AnalysisStatus.PRELIMINARY)


@dataclass(frozen=True, slots=True)
class LaboratoryResult:
    order_id: str
    performing_lab: str
    version: int
    report_status: ReportStatus
    report_time: datetime
    analysis_results: tuple[AnalysisResult, ...]
    laboratory_id: str | None = None
    signed_by: Actor | None = None
    comment: str | None = None
    specimen_identifiers: tuple[str, ...] = ()

    @property
    def is_withdrawal(self) -> bool:
        """A version that withdraws every value (all ENTERED_IN_ERROR)."""
        return all(a.status is AnalysisStatus.ENTERED_IN_ERROR for a in self.analysis_results)


@dataclass(slots=True)
class StoredResult:
    """One stored version of an order's result and whether the patient may see it."""

    result: LaboratoryResult
    received_time: datetime
    released: bool
    release_time: datetime | None = None
    follow_up_case_id: str | None = None

    @classmethod
    def received(cls, result: LaboratoryResult, now: datetime, released: bool, case_id: str | None) -> StoredResult:
        """A version as it is stored on arrival: released now, or held (by the open follow-up
        case ``case_id``, if there is one)."""
        return cls(
            result=result,
            received_time=now,
            released=released,
            release_time=now if released else None,
            follow_up_case_id=case_id if not released else None,
        )
