"""A region's statistics: counts without identities, every cell with fewer than five people
behind it suppressed.

Suppression is decided per table column (a group of cells and its total):

- a cell with one to four distinct patients behind it is suppressed (primary); a cell of none
  shows 0 (there is no one to protect, and "<5" for it would point at the cells that are);
- while the suppressed cells of a group together stand for fewer than ``MIN_PEOPLE``
  patients, the smallest other cell with patients behind it is suppressed too (secondary), so
  the total minus the cells shown never gives a count of fewer than five people;
- the total is suppressed when one to four patients stand behind it.

Per analysis no total is shown, so the counts there have primary suppression only.

Times from order to result (median and 90th percentile) are shown only over at least
``MIN_PEOPLE`` patients' orders. A share (positivity) is shown only when both its counts are."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..enums import Interpretation, OrderStatus, SamplingMode
from .orders import Order
from .results import StoredResult
from .values import Code

MIN_PEOPLE = 5
RETURNED = frozenset({OrderStatus.SPECIMEN_COLLECTED, OrderStatus.RECEIVED_BY_LAB,
                      OrderStatus.PRELIMINARY_RESULT, OrderStatus.FINAL_RESULT})


@dataclass(frozen=True, slots=True)
class Cell:
    """A count, or None when suppressed (shown as "<5")."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


class Tally:
    """Counts per key, each with the set of people behind it (kept only while counting: the
    result holds counts alone)."""

    def __init__(self) -> None:
        self.people: dict[str, set[str]] = {}
        self.counts: dict[str, int] = {}

    def add(self, key: str, person: str) -> None:
        self.people.setdefault(key, set()).add(person)
        self.counts[key] = self.counts.get(key, 0) + 1

    def touch(self, key: str) -> None:
        self.people.setdefault(key, set())
        self.counts.setdefault(key, 0)


def suppressed_column(tally: Tally, keys: Sequence[str], *, secondary: bool = True) -> tuple[dict[str, Cell], Cell]:
    """The cells of ``keys`` and their total, suppressed by the rules above (``secondary``
    False: a column whose total is not shown needs no secondary suppression)."""
    people = {k: tally.people.get(k, set()) for k in keys}
    counts = {k: tally.counts.get(k, 0) for k in keys}
    hidden = {k for k in keys if 0 < len(people[k]) < MIN_PEOPLE}

    def behind_hidden() -> int:
        return len(set().union(*(people[k] for k in hidden)))

    while secondary and hidden and behind_hidden() < MIN_PEOPLE:
        others = [k for k in keys if k not in hidden and people[k]]
        if not others:
            break
        hidden.add(min(others, key=lambda k: (counts[k], k)))
    everyone = set().union(*people.values()) if keys else set()
    total = Cell(None) if 0 < len(everyone) < MIN_PEOPLE else Cell(sum(counts.values()))
    return {k: Cell(None if k in hidden else counts[k]) for k in keys}, total


@dataclass(frozen=True, slots=True)
class Turnaround:
    """Hours from order to first result; None when suppressed."""

    median_hours: float | None
    p90_hours: float | None


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[rank - 1]


@dataclass(frozen=True, slots=True)
class RegionStatistics:
    care_givers: list[str]
    orders: dict[str, Cell]
    orders_total: Cell
    kits_sent: dict[str, Cell]
    kits_sent_total: Cell
    kits_returned: dict[str, Cell]
    kits_returned_total: Cell
    turnaround: Turnaround
    analyses: list[str]  # analysis codes, with names in ``analysis_names``
    tested: dict[str, Cell]
    positive: dict[str, Cell]
    analysis_names: dict[str, str] = field(default_factory=dict)

    def positivity(self, analysis: str) -> float | None:
        """The share of positive findings in percent, when both counts are shown."""
        t, p = self.tested[analysis].value, self.positive[analysis].value
        return None if t is None or p is None or t == 0 else round(100 * p / t, 1)


def is_positive(interpretation: Interpretation | None, coded_positive: bool) -> bool:
    return interpretation is Interpretation.POSITIVE or coded_positive


def compute(
    orders: Iterable[Order],
    first_results: Mapping[str, datetime],
    newest: Mapping[str, StoredResult],
    care_givers: Iterable[str],
    person: Callable[[Order], str],
) -> RegionStatistics:
    """The statistics of ``orders`` (those created in the period, of the region's care givers):
    orders and home kits sent and returned per care giver, time from order to the first result
    version (``first_results``: order id to the time it was stored), and per analysis how many
    findings the newest version (``newest``) reported and how many of them were positive."""
    keys = sorted(c.upper() for c in care_givers)
    made, sent, returned, tested, positive = Tally(), Tally(), Tally(), Tally(), Tally()
    for k in keys:
        for t in (made, sent, returned):
            t.touch(k)
    hours: list[float] = []
    timed: set[str] = set()
    names: dict[str, str] = {}
    for order in orders:
        who, cg = person(order), order.care_giver.upper()
        made.add(cg, who)
        statuses = {c.status for c in order.history} | {order.status}
        if order.sampling_mode is SamplingMode.HOME_KIT and OrderStatus.KIT_SENT in statuses:
            sent.add(cg, who)
            if statuses & RETURNED:
                returned.add(cg, who)
        if order.order_id in first_results:
            hours.append((first_results[order.order_id] - order.created_time).total_seconds() / 3600)
            timed.add(who)
        stored = newest.get(order.order_id)
        for a in stored.result.analysis_results if stored else ():
            if not a.is_finding:
                continue
            code = a.code.code or a.code.original_text or "?"
            names.setdefault(code, a.display_name or next(
                (x.display_name for x in order.analyses if x.code.same_concept(a.code)), code))
            tested.add(code, who)
            coded = isinstance(a.value, Code) and any(
                a.value.same_concept(v) for v in order.positive_values_of(a.code))
            if is_positive(a.interpretation, coded):
                positive.add(code, who)
            else:
                positive.touch(code)
    analyses = sorted(tested.counts)
    hours.sort()
    turnaround = (Turnaround(round(percentile(hours, 50), 1), round(percentile(hours, 90), 1))
                  if len(timed) >= MIN_PEOPLE else Turnaround(None, None))
    o, ot = suppressed_column(made, keys)
    s, st = suppressed_column(sent, keys)
    r, rt = suppressed_column(returned, keys)
    tested_cells, _ = suppressed_column(tested, analyses, secondary=False)
    positive_cells, _ = suppressed_column(positive, analyses, secondary=False)
    return RegionStatistics(keys, o, ot, s, st, r, rt, turnaround, analyses, tested_cells, positive_cells, names)
