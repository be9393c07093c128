"""The figures and verdicts of the outbox's measurements (tools/bench/outbox.py, the outbox part of
tools/bench/faults.py, its targets in tools/bench/report.py): pure functions, no servers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from consumers.journal.store import Entry, Record
from eph import demo
from service_domain.identity import PersonId
from service_domain.model import EventKind, EventState, IndexUpdate, OutboxEvent
from tools.bench.faults import journal_check, journal_imports, outbox_verdicts, overwritten
from tools.bench.harness import Load
from tools.bench.outbox import OutboxFigures, OutboxRun, pair_order, percentile, ratio
from tools.bench.report import evaluate

# ------------------------------------------------------------------ percentiles and ratios


def test_the_99th_percentile_of_a_hundred_values_is_the_99th() -> None:
    assert percentile([float(v) for v in range(100, 0, -1)], 99) == 99.0


def test_the_99th_percentile_of_ten_values_is_the_largest() -> None:
    assert percentile([float(v) for v in range(10)], 99) == 9.0


def test_the_median_by_nearest_rank_of_four_values_is_the_second() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0


def test_no_values_have_no_percentile() -> None:
    assert percentile([], 99) is None


def test_the_ratio_is_of_the_medians() -> None:
    assert ratio([90.0, 100.0, 200.0], [100.0, 1.0, 110.0]) == 1.0


def test_no_runs_on_one_side_have_no_ratio() -> None:
    assert ratio([90.0], []) is None


def test_a_median_of_zero_below_has_no_ratio() -> None:
    assert ratio([90.0], [0.0]) is None


def test_pairs_are_taken_in_turn() -> None:
    assert [pair_order(n) for n in range(3)] == [(False, True), (True, False), (False, True)]


# ------------------------------------------------------------------ the targets in the bench report


def load(rps: float, errors: int = 0, cpu: float = 1.0) -> Load:
    return Load(16, 5, rps, 10, 20, 30, int(rps * 5), errors, {"service": cpu, "platform": 0.5, "postgresql": 9.0})


def figures(on: list[float], off: list[float], p99_ms: float | None, events: int = 10, delivered: int = 10,
            errors: int = 0) -> OutboxFigures:
    runs = [OutboxRun(True, load(r)) for r in on] + [OutboxRun(False, load(r)) for r in off]
    return OutboxFigures(runs, 100, 25, load(100, errors), events, delivered, 0, 50.0, p99_ms, p99_ms)


class Targets:
    def __init__(self, found: list[dict[str, Any]]) -> None:
        self.found = found

    def __getitem__(self, beginning: str) -> dict[str, Any]:
        (one,) = [t for t in self.found if t["target"].startswith(beginning)]
        return one


def targets(f: OutboxFigures) -> Targets:
    return Targets(evaluate({}, (), f))


def test_an_outbox_costing_less_than_a_tenth_meets_its_target() -> None:
    assert targets(figures([95, 91, 93], [100, 100, 100], 400))["the outbox: routed"]["met"]


def test_an_outbox_costing_more_than_a_tenth_does_not_meet_its_target() -> None:
    assert not targets(figures([89, 85, 88], [100, 100, 100], 400))["the outbox: routed"]["met"]


def test_the_outbox_s_figure_is_the_ratio_of_the_medians() -> None:
    assert targets(figures([95, 90, 80], [100, 100, 50], 400))["the outbox: routed"]["measured"] == 0.9


def test_a_p99_within_five_seconds_meets_the_release_target() -> None:
    assert targets(figures([95], [100], 4999))["release to index Update delivered (the index answered OK)"]["met"]


def test_a_p99_over_five_seconds_does_not_meet_the_release_target() -> None:
    assert not targets(figures([95], [100], 5001))["release to index Update delivered (the index answered OK)"]["met"]


def test_no_release_measured_does_not_meet_the_release_target() -> None:
    assert not targets(figures([95], [100], None))["release to index Update delivered (the index answered OK)"]["met"]


def test_an_event_not_delivered_in_the_release_run_is_counted() -> None:
    assert targets(figures([95], [100], 400, events=10, delivered=9))["events of the release run not delivered or "
                                                                        "parked"]["measured"] == 1


def test_an_outbox_run_s_errors_count_among_the_calls_not_answered_as_expected() -> None:
    assert targets(figures([95], [100], 400, errors=3))["calls not answered as expected (all cases"]["measured"] == 3


def test_the_cpu_ratio_is_the_cpu_per_call_without_over_with() -> None:
    f = OutboxFigures([OutboxRun(True, load(100, cpu=4.5)), OutboxRun(False, load(100, cpu=4.0))])
    assert f.cpu_ratio == 0.9  # (4.0 + 0.5) / (4.5 + 0.5); PostgreSQL's figure left out


def test_a_release_run_sent_below_the_rate_does_not_meet_its_target() -> None:
    f = figures([95], [100], 400)
    f.release_load = load(90)
    assert not targets(f)["releases/s sent in the release run"]["met"]


def test_the_figures_read_back_from_json_are_the_same() -> None:
    f = figures([95, 91], [100, 99], 400)
    assert OutboxFigures.from_dict(f.as_dict()).as_dict() == f.as_dict()


# ------------------------------------------------------------------ the faults run's outbox part


def entry(order_id: str, versions: int = 1, source: str = demo.SERVICE_ADDRESS) -> Entry:
    return Entry(Record(source, order_id, "20261207120000", "191212121212", demo.CARE_UNIT_A, "FINAL", "{}"),
                 "20261207120000", "20261207120000", versions)


def test_every_expected_order_in_the_journal_once_is_imported() -> None:
    check = journal_check(Counter({"o1": 1, "o2": 1}), [entry("o1"), entry("o2")])
    assert check["imported"] == 2


def test_an_order_not_in_the_journal_is_missing() -> None:
    assert journal_check(Counter({"o1": 1, "o2": 1}), [entry("o1")])["missing"] == ["o2"]


def test_an_entry_of_another_source_system_does_not_count() -> None:
    assert journal_check(Counter({"o1": 1}), [entry("o1", source="SE2321000016-LIS9")])["missing"] == ["o1"]


def test_an_entry_that_went_through_more_versions_than_stored_differs() -> None:
    assert journal_check(Counter({"o1": 1}), [entry("o1", versions=2)])["versions_differ"] == ["o1"]


def test_the_journal_s_import_lines_add_up() -> None:
    text = ('{"level":"INFO","message":"journal import: new 2, unchanged 1"}\n'
            '{"level":"INFO","message":"journal import: unchanged 3"}\n{"message":"other"}\n')
    assert journal_imports(text) == {"new": 2, "unchanged": 4}


def outbox(**changes: Any) -> dict[str, Any]:
    o: dict[str, Any] = {"events": 10, "delivered": 10, "pending": 0, "parked": 0, "not_in_index_count": 0,
                         "journal": {"expected": 5, "missing": [], "more_than_one_entry": [], "versions_differ": []}}
    o.update(changes)
    return o


def test_every_event_delivered_is_met() -> None:
    assert outbox_verdicts(outbox())[0][1]


def test_a_parked_event_is_not_met() -> None:
    assert not outbox_verdicts(outbox(delivered=9, parked=1))[0][1]


def test_no_events_at_all_is_not_met() -> None:
    assert not outbox_verdicts(outbox(events=0, delivered=0))[0][1]


def test_an_update_missing_from_the_index_is_not_met() -> None:
    assert not outbox_verdicts(outbox(not_in_index_count=1))[2][1]


def test_a_result_missing_from_the_journal_is_not_met() -> None:
    journal = {"expected": 5, "missing": ["o1"], "more_than_one_entry": [], "versions_differ": []}
    assert not outbox_verdicts(outbox(journal=journal))[1][1]


def test_a_report_without_the_outbox_has_no_outbox_verdicts() -> None:
    assert outbox_verdicts(None) == []


def delivered_event(event_id: str, changed_minute: int, delivered_minute: int, patient: str = "191212121212") -> OutboxEvent:
    payload = IndexUpdate(PersonId(patient), demo.CARE_GIVER_A, demo.CARE_UNIT_A, f"order-{event_id}",
                          datetime(2026, 12, 7, 12, changed_minute, tzinfo=UTC))
    e = OutboxEvent(event_id, EventKind.INDEX_UPDATE, payload, payload.most_recent_content, payload.most_recent_content)
    e.state, e.delivered_time = EventState.DELIVERED, datetime(2026, 12, 7, 12, delivered_minute, tzinfo=UTC)
    return e


def test_an_update_put_back_by_an_older_one_delivered_after_it_is_found() -> None:
    newer, older_late = delivered_event("new", 5, 6), delivered_event("old", 1, 9)
    assert overwritten([newer, older_late], {"new"}) == ["new"]


def test_an_update_whose_engagement_ended_newer_is_not_put_back() -> None:
    assert overwritten([delivered_event("old", 1, 2), delivered_event("new", 5, 6)], {"old"}) == []
