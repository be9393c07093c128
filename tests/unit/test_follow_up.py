"""A follow-up case closes once the patient is contacted, or with the reason it closes without."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service_domain.clock import utcnow
from service_domain.enums import FollowUpStatus, FollowUpStepKind
from service_domain.errors import RuleViolation, SubCode
from service_domain.model import FollowUpCase, FollowUpStep

NOW = utcnow()
NURSE = "SE2321000016-SSK2"


def _case() -> FollowUpCase:
    return FollowUpCase("case-1", "order-1", "SE2321000016-CG01", "SE2321000016-CU01", NOW - timedelta(hours=1))


def _contacted() -> FollowUpCase:
    case = _case()
    case.record_step(FollowUpStep(FollowUpStepKind.PATIENT_CONTACTED, NOW, NURSE, NOW))
    return case


def test_a_case_without_contact_or_reason_does_not_close() -> None:
    with pytest.raises(RuleViolation) as refused:
        _case().close(NURSE, NOW)
    assert refused.value.sub_code is SubCode.WRONG_STATE


def test_a_reason_of_blanks_is_no_reason() -> None:
    with pytest.raises(RuleViolation):
        _case().close(NURSE, NOW, "   ")


def test_a_refused_close_leaves_the_case_open() -> None:
    case = _case()
    with pytest.raises(RuleViolation):
        case.close(NURSE, NOW)
    assert case.status is FollowUpStatus.OPEN


def test_a_case_without_contact_closes_with_a_reason() -> None:
    case = _case()
    case.close(NURSE, NOW, "no answer on three calls; a letter was sent")
    assert case.status is FollowUpStatus.CLOSED


def test_the_reason_is_recorded_as_the_cases_note() -> None:
    case = _case()
    case.close(NURSE, NOW, "no answer on three calls; a letter was sent")
    assert case.note == "no answer on three calls; a letter was sent"


def test_a_contacted_patients_case_closes_without_a_note() -> None:
    case = _contacted()
    case.close(NURSE, NOW)
    assert case.status is FollowUpStatus.CLOSED


def test_another_step_is_not_contact() -> None:
    case = _case()
    case.record_step(FollowUpStep(FollowUpStepKind.TREATMENT, NOW, NURSE, NOW))
    with pytest.raises(RuleViolation):
        case.close(NURSE, NOW)
