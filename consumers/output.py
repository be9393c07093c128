"""What the consumer command lines print: tables for people, JSON for scripts, a progress line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from lxml import etree
from zeep.helpers import serialize_object


def _leaf(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, etree._Element):  # an extension element (zeep's _value_1): its name and text
        return {etree.QName(v).localname: v.text}
    return None


def plain(value: Any) -> Any:
    data = serialize_object(value, dict)
    return json.loads(json.dumps(data, default=_leaf))


def table(rows: Sequence[Sequence[Any]], header: Sequence[str], out: Any = None) -> None:
    out = out or sys.stdout
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    out.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    if not cells:
        out.write("(none)\n")


class Progress:
    """A progress line on standard error (only when it is a terminal, or when asked for)."""

    def __init__(self, label: str, total: int | None = None, enabled: bool | None = None) -> None:
        self.label, self.total = label, total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.shown = False

    def update(self, done: int, note: str = "") -> None:
        if not self.enabled:
            return
        if self.total:
            filled = int(30 * done / self.total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total}"
        else:
            bar = f"{done}"
        sys.stderr.write(f"\r{self.label} {bar} {note}".ljust(79))
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def orders_table(orders: Iterable[Any]) -> None:
    table([(o.orderId, o.referralId, o.offerCode, o.patientId.id, o.samplingMode, o.status,
             o.createdTime, ", ".join(s.identifier for s in (o.specimen or []))) for o in orders],
           ("orderId", "referral", "offer", "patient", "mode", "status", "created", "specimens"))


def results_table(views: Iterable[Any]) -> None:
    rows = []
    for v in views:
        analyses = v.result.analysisResult if v.result is not None else []
        shown = "; ".join(analysis_text(a) for a in analyses) or "(not released)"
        rows.append((v.order.orderId, v.order.offerCode, v.order.status,
                     v.result.resultVersion if v.result is not None else "", "yes" if v.releasedToPatient else "no",
                     "yes" if v.followUpRequired else "", shown))
    table(rows, ("orderId", "offer", "status", "version", "released", "follow-up", "result"))


def analysis_text(a: Any) -> str:
    if a.pq is not None:
        value = f"{a.pq.value} {a.pq.unit}"
    elif a.coded is not None:
        value = a.coded.displayName or a.coded.code
    else:
        value = a.text or ""
    return f"{a.displayName or a.code.code} {value}" + (f" ({a.interpretation})" if a.interpretation else "")


def outcome_value(r: Any) -> str:
    """A national result's value (ResultType.value: pq, cv, intervalPQ or st) as text."""
    v = r.value
    if v.pq is not None:
        return f"{v.pq.value} {v.pq.unit}"
    if v.cv is not None:
        return v.cv.displayName or v.cv.code or ""
    if v.intervalPQ is not None:
        return f"{v.intervalPQ.low}-{v.intervalPQ.high} {v.intervalPQ.unit}"
    return v.st or ""


def outcomes_table(outcomes: Iterable[Any]) -> None:
    """National laboratory outcomes (GetLaboratoryOrderOutcome), one row a record."""
    rows = []
    for o in outcomes:
        analyses = [a for g in (o.body.groupOfAnalyses or []) for a in (g.analysis or [])]
        shown = "; ".join(f"{a.code.displayName or a.code.code} " + ", ".join(outcome_value(r) for r in (a.result or []))
                          for a in analyses)
        rows.append((o.header.record.id.extension, o.header.sourceSystemId.extension,
                     o.header.accessControlHeader.accountableCareUnit.extension, o.header.record.timestamp,
                     o.body.type.code, shown))
    table(rows, ("record", "source", "care unit", "reported", "type", "result"))
