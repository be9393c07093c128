"""Release rules: who sees a result when."""

from datetime import UTC, datetime

import pytest

from service_domain.model import (
    AnalysisResult,
    AnalysisStatus,
    Code,
    Interpretation,
    LaboratoryResult,
    ReportStatus,
    ResultRelease,
)
from service_domain.release import decide, released_when_case_closes

R = ResultRelease


def result(*interpretations: Interpretation | None) -> LaboratoryResult:
    return LaboratoryResult(
        order_id="o",
        performing_lab="SE2321000016-LAB1",
        version=1,
        report_status=ReportStatus.FINAL,
        report_time=datetime(2026, 1, 1, tzinfo=UTC),
        analysis_results=tuple(
            AnalysisResult(Code(f"C{n}", "1.2.752.108.1"), "text", AnalysisStatus.FINAL, interpretation=i)
            for n, i in enumerate(interpretations)
        ),
    )


POS, NEG = Interpretation.POSITIVE, Interpretation.NEGATIVE


@pytest.mark.parametrize(
    "rule, notifiable, interpretations, case_open, released, follow_up",
    [
        (R.IMMEDIATE, False, (NEG,), False, True, False),
        (R.IMMEDIATE, False, (POS,), False, True, False),  # positive, not notifiable
        (R.IMMEDIATE, True, (POS,), False, True, True),  # notifiable: a case, but released
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (NEG, NEG), False, True, False),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (NEG, POS), False, False, True),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (None,), False, True, False),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (NEG,), True, False, False),  # held while a case is open
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, False, (POS,), False, True, False),
        (R.AFTER_REVIEW, False, (NEG,), False, False, False),
        (R.AFTER_REVIEW, True, (POS,), False, False, True),
    ],
)
def test_decide(
    rule: ResultRelease,
    notifiable: bool,
    interpretations: tuple[Interpretation | None, ...],
    case_open: bool,
    released: bool,
    follow_up: bool,
) -> None:
    d = decide(rule, notifiable, result(*interpretations), case_open)
    assert (d.released, d.needs_follow_up) == (released, follow_up)


def test_closing_a_case_releases_only_under_after_follow_up() -> None:
    assert released_when_case_closes(R.AFTER_FOLLOW_UP_IF_POSITIVE)
    assert not released_when_case_closes(R.AFTER_REVIEW)
    assert not released_when_case_closes(R.IMMEDIATE)
