"""How result values read on the pages: quantities and intervals in Swedish notation (decimal
comma, "27–42 mmol/mol", "< 0,5 mg/L"), coded values by their name. The stored value is not
changed: it keeps the digits as the lab wrote them."""

from __future__ import annotations

from service_domain.model import AnalysisResult, AnalysisStatus, Bound, Code, Interval, Quantity, Value

STATUS = {
    AnalysisStatus.CANNOT_BE_DONE: "Kan inte utföras",
    AnalysisStatus.ENTERED_IN_ERROR: "Återkallat (registrerades av misstag)",
}


def number(value: str) -> str:
    """5.20 -> 5,20 (the digits as written, with a decimal comma)."""
    return value.replace(".", ",")


def _bound(b: Bound, with_unit: bool = True) -> str:
    return number(b.value) + (f" {b.unit}" if with_unit else "")


def interval(i: Interval | None) -> str:
    """A reference interval or an interval value: 27–42 mmol/mol, < 0,5 mg/L, ≥ 60 mL/min, or its text."""
    if i is None:
        return ""
    if i.low is not None and i.high is not None:
        same_unit = i.low.unit == i.high.unit
        text = f"{_bound(i.low, not same_unit)}–{_bound(i.high)}"
    elif i.high is not None:
        text = ("≤ " if i.high.inclusive else "< ") + _bound(i.high)
    elif i.low is not None:
        text = ("≥ " if i.low.inclusive else "> ") + _bound(i.low)
    else:
        return i.text or ""
    return f"{text} ({i.text})" if i.text else text


def code(c: Code) -> str:
    name = c.display_name or c.original_text or c.code or ""
    return name[:1].upper() + name[1:]


def value(v: Value | None) -> str:
    if v is None:
        return ""
    if isinstance(v, Quantity):
        return f"{number(v.value)} {v.unit}"
    if isinstance(v, Code):
        return code(v)
    if isinstance(v, Interval):
        return interval(v)
    return v


def outcome(a: AnalysisResult) -> str:
    """What the result column shows: the value, or why there is none."""
    return STATUS.get(a.status) or value(a.value)
