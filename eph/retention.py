"""Retention settings from the environment: per kind ``EPH_RETENTION_<KIND>`` (a period: days, or
a number with ``d`` for days or ``h`` for hours) and ``EPH_RETENTION_<KIND>_BASIS`` (the legal
basis, free text), over the defaults of ``service_domain.model.retention``; and how often the
housekeeping loop runs retention (``EPH_RETENTION_EVERY_HOURS``)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

from service_domain.model import RetentionError, RetentionKind, RetentionPolicy

_PERIOD = re.compile(r"^\s*(\d+)\s*([dh]?)\s*$", re.IGNORECASE)


def variable(kind: RetentionKind) -> str:
    return f"EPH_RETENTION_{kind.value.upper()}"


def parse_period(text: str) -> timedelta | None:
    """``90``, ``90d`` or ``12h`` as a period; None when it is none of those."""
    match = _PERIOD.match(text)
    if match is None:
        return None
    amount, unit = int(match.group(1)), match.group(2).lower()
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


def policy_from_env() -> RetentionPolicy:
    """The defaults with the environment's overrides; SystemExit naming the setting when one is
    not a period, or the periods together break the rules (audit records outlive the rest)."""
    periods, bases = {}, {}
    for kind in RetentionKind:
        name = variable(kind)
        if value := os.environ.get(name, "").strip():
            period = parse_period(value)
            if period is None:
                raise SystemExit(f"{name} must be a number of days, or of hours ending in 'h' (such as 90 or 12h)")
            periods[kind] = period
        if basis := os.environ.get(f"{name}_BASIS", "").strip():
            bases[kind] = basis
    try:
        return RetentionPolicy.with_overrides(periods, bases)
    except RetentionError as e:
        raise SystemExit(f"retention settings: {e}") from None


def every_from_env() -> timedelta:
    """How often housekeeping runs retention; zero: never (``eph retention run`` still does)."""
    value = os.environ.get("EPH_RETENTION_EVERY_HOURS", "").strip() or "24"
    try:
        hours = float(value)
    except ValueError:
        raise SystemExit("EPH_RETENTION_EVERY_HOURS must be a number of hours (0: never)") from None
    return timedelta(hours=max(hours, 0))


def describe(period: timedelta) -> str:
    """A period as the settings write it: days, or hours when it is not whole days."""
    if period % timedelta(days=1):
        return f"{int(period / timedelta(hours=1))}h"
    return f"{period.days}d"
