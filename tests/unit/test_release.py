"""Release rules: who sees a result when. On a notifiable offer the rule fails safe."""

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
from service_domain.release import decide, is_explicitly_negative, needs_follow_up, released_when_case_closes

R = ResultRelease
SNOMED = "1.2.752.116.2.1.1"
DETECTED = Code("260373001", SNOMED, display_name="påvisad")
NOT_DETECTED = Code("260415000", SNOMED, display_name="ej påvisad")
POSITIVE_VALUES = {"C0": (DETECTED,), "C1": (DETECTED,)}


def positives(code: Code) -> tuple[Code, ...]:
    return POSITIVE_VALUES.get(code.code or "", ())


def analysis(n: int, interpretation: Interpretation | None, value: object = "text",
             status: AnalysisStatus = AnalysisStatus.FINAL) -> AnalysisResult:
    return AnalysisResult(Code(f"C{n}", "1.2.752.108.1"), value, status, interpretation=interpretation)  # type: ignore[arg-type]


def result(*analyses: AnalysisResult | Interpretation | None) -> LaboratoryResult:
    items = tuple(a if isinstance(a, AnalysisResult) else analysis(n, a) for n, a in enumerate(analyses))
    return LaboratoryResult(
        order_id="o",
        performing_lab="SE2321000016-LAB1",
        version=1,
        report_status=ReportStatus.FINAL,
        report_time=datetime(2026, 1, 1, tzinfo=UTC),
        analysis_results=items,
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
        # fail safe: a finding without an interpretation is not negative
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (None,), False, False, True),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (NEG, None), False, False, True),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (Interpretation.NORMAL,), False, False, True),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (Interpretation.INCONCLUSIVE,), False, False, True),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, True, (NEG,), True, False, False),  # held while a case is open
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, False, (POS,), False, True, False),
        (R.AFTER_FOLLOW_UP_IF_POSITIVE, False, (None,), False, True, False),  # not notifiable
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
    d = decide(rule, notifiable, result(*interpretations), case_open, positives)
    assert (d.released, d.needs_follow_up) == (released, follow_up)


def test_a_coded_positive_value_is_held_whatever_its_interpretation() -> None:
    """A coded "detected" value is held for follow-up whether its interpretation is missing or negative."""
    for interpretation in (None, NEG):
        r = result(analysis(0, interpretation, DETECTED))
        d = decide(R.AFTER_FOLLOW_UP_IF_POSITIVE, True, r, False, positives)
        assert (d.released, d.needs_follow_up) == (False, True)
    assert not is_explicitly_negative(analysis(0, NEG, DETECTED), (DETECTED,))
    # the same value is not positive for an analysis that does not list it
    assert is_explicitly_negative(analysis(5, NEG, DETECTED), ())


def test_a_coded_negative_value_with_a_negative_interpretation_is_released() -> None:
    r = result(analysis(0, NEG, NOT_DETECTED), analysis(1, NEG, NOT_DETECTED))
    d = decide(R.AFTER_FOLLOW_UP_IF_POSITIVE, True, r, False, positives)
    assert (d.released, d.needs_follow_up) == (True, False)
    # matched by code system and code, not by display text
    assert not is_explicitly_negative(analysis(0, NEG, Code("260373001", SNOMED, display_name="x")), (DETECTED,))
    assert is_explicitly_negative(analysis(0, NEG, Code("260373001", "1.2.3")), (DETECTED,))


@pytest.mark.parametrize("status", [AnalysisStatus.CANNOT_BE_DONE, AnalysisStatus.ENTERED_IN_ERROR])
def test_a_version_without_findings_needs_no_follow_up(status: AnalysisStatus) -> None:
    r = result(analysis(0, None, None, status), analysis(1, None, None, status))
    assert not needs_follow_up(True, r, positives)
    # but one finding without an interpretation beside it does
    r = result(analysis(0, None, None, status), analysis(1, None))
    assert needs_follow_up(True, r, positives)


def test_a_preliminary_finding_counts() -> None:
    r = result(analysis(0, None, "x", AnalysisStatus.PRELIMINARY))
    assert needs_follow_up(True, r, positives)


def test_closing_a_case_releases_only_under_after_follow_up() -> None:
    assert released_when_case_closes(R.AFTER_FOLLOW_UP_IF_POSITIVE)
    assert not released_when_case_closes(R.AFTER_REVIEW)
    assert not released_when_case_closes(R.IMMEDIATE)
