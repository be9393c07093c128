"""Every order status transition, allowed and refused, against the spec's table."""

import itertools

import pytest

from service_domain.errors import RuleViolation, SubCode
from service_domain.model import OrderStatus, ReportStatus, SamplingMode
from service_domain.status import check_result_transition, check_transition, is_allowed

S = OrderStatus

# The spec's table, written out pair by pair (KIT_SENT is for home kits only).
SPEC = """
ORDERED -> KIT_SENT (home kit)
ORDERED -> SPECIMEN_COLLECTED
KIT_SENT -> SPECIMEN_COLLECTED
SPECIMEN_COLLECTED -> RECEIVED_BY_LAB
ORDERED -> PRELIMINARY_RESULT
ORDERED -> FINAL_RESULT
KIT_SENT -> PRELIMINARY_RESULT
KIT_SENT -> FINAL_RESULT
SPECIMEN_COLLECTED -> PRELIMINARY_RESULT
SPECIMEN_COLLECTED -> FINAL_RESULT
RECEIVED_BY_LAB -> PRELIMINARY_RESULT
RECEIVED_BY_LAB -> FINAL_RESULT
PRELIMINARY_RESULT -> PRELIMINARY_RESULT
PRELIMINARY_RESULT -> FINAL_RESULT
FINAL_RESULT -> FINAL_RESULT
ORDERED -> CANCELLED
KIT_SENT -> CANCELLED
SPECIMEN_COLLECTED -> REJECTED
RECEIVED_BY_LAB -> REJECTED
ORDERED -> EXPIRED
KIT_SENT -> EXPIRED
"""


def _allowed(mode: SamplingMode) -> set[tuple[OrderStatus, OrderStatus]]:
    pairs = set()
    for line in SPEC.strip().splitlines():
        home_only = line.endswith("(home kit)")
        a, b = line.replace("(home kit)", "").split("->")
        if home_only and mode is not SamplingMode.HOME_KIT:
            continue
        pairs.add((S(a.strip()), S(b.strip())))
    return pairs


ALL_PAIRS = list(itertools.product(S, S, SamplingMode))


@pytest.mark.parametrize("current, target, mode", ALL_PAIRS, ids=[f"{a}->{b}-{m}" for a, b, m in ALL_PAIRS])
def test_transition(current: OrderStatus, target: OrderStatus, mode: SamplingMode) -> None:
    expected = (current, target) in _allowed(mode)
    assert is_allowed(current, target, mode) is expected
    if expected:
        check_transition(current, target, mode)
    else:
        with pytest.raises(RuleViolation) as e:
            check_transition(current, target, mode)
        assert e.value.sub_code is SubCode.TRANSITION_REFUSED


@pytest.mark.parametrize(
    "current, report, expected",
    [
        (S.ORDERED, ReportStatus.PRELIMINARY, S.PRELIMINARY_RESULT),
        (S.RECEIVED_BY_LAB, ReportStatus.PARTIAL, S.PRELIMINARY_RESULT),
        (S.RECEIVED_BY_LAB, ReportStatus.FINAL, S.FINAL_RESULT),
        (S.PRELIMINARY_RESULT, ReportStatus.FINAL, S.FINAL_RESULT),
        (S.FINAL_RESULT, ReportStatus.CORRECTED, S.FINAL_RESULT),
    ],
)
def test_result_reports_move_the_order(current: OrderStatus, report: ReportStatus, expected: OrderStatus) -> None:
    assert check_result_transition(current, report, SamplingMode.SITE) is expected


@pytest.mark.parametrize(
    "current, report",
    [
        (S.FINAL_RESULT, ReportStatus.PRELIMINARY),  # a final result cannot go back
        (S.FINAL_RESULT, ReportStatus.FINAL),  # replacing a final result needs CORRECTED
        (S.PRELIMINARY_RESULT, ReportStatus.CORRECTED),  # nothing final to correct
        (S.CANCELLED, ReportStatus.FINAL),
        (S.REJECTED, ReportStatus.PRELIMINARY),
        (S.EXPIRED, ReportStatus.FINAL),
    ],
)
def test_result_reports_refused(current: OrderStatus, report: ReportStatus) -> None:
    with pytest.raises(RuleViolation) as e:
        check_result_transition(current, report, SamplingMode.SITE)
    assert e.value.sub_code is SubCode.TRANSITION_REFUSED


@pytest.mark.parametrize(
    "current, report, message",
    [
        (S.FINAL_RESULT, ReportStatus.FINAL, "the order has a final result; send a CORRECTED report to change it"),
        (S.FINAL_RESULT, ReportStatus.PRELIMINARY,
         "the order has a final result; send a CORRECTED report to change it"),
        (S.PRELIMINARY_RESULT, ReportStatus.CORRECTED,
         "a CORRECTED report replaces a final result; this order has none"),
        (S.ORDERED, ReportStatus.CORRECTED, "a CORRECTED report replaces a final result; this order has none"),
        (S.CANCELLED, ReportStatus.FINAL, "an order in status CANCELLED cannot move to FINAL_RESULT"),
    ],
)
def test_a_refused_result_report_says_what_to_send(current: OrderStatus, report: ReportStatus, message: str) -> None:
    # the words reach the lab in the fault: they must name the report status the lab should use
    with pytest.raises(RuleViolation) as e:
        check_result_transition(current, report, SamplingMode.SITE)
    assert str(e.value) == message


def test_kit_sent_is_refused_for_a_site_order_with_its_reason() -> None:
    with pytest.raises(RuleViolation) as e:
        check_transition(S.ORDERED, S.KIT_SENT, SamplingMode.SITE)
    assert str(e.value) == "KIT_SENT applies to home-kit orders only"
    with pytest.raises(RuleViolation) as e:
        check_transition(S.RECEIVED_BY_LAB, S.KIT_SENT, SamplingMode.HOME_KIT)
    assert str(e.value) == "an order in status RECEIVED_BY_LAB cannot move to KIT_SENT"
