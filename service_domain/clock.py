"""Time in the service domain: stored as UTC, shown and filtered as Swedish local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SWEDISH_TZ = ZoneInfo("Europe/Stockholm")
# Callers' clocks drift: a time reported a little in the future (or a step a little before its
# case was opened) is accepted.
CLOCK_SKEW = timedelta(minutes=5)


def utcnow() -> datetime:
    return datetime.now(UTC)


def day_start(day: date) -> datetime:
    """Midnight at the start of a Swedish calendar day, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=SWEDISH_TZ)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def local_date(moment: datetime) -> date:
    return moment.astimezone(SWEDISH_TZ).date()


class NonexistentLocalTime(ValueError):
    """A Swedish wall-clock time the clock skips (the hour lost when summer time starts)."""


def from_local(moment: datetime) -> datetime:
    """A Swedish wall-clock time (naive) as an aware datetime.

    A time in the hour the clock skips in spring does not exist and is refused. A time in
    the hour that repeats in autumn is read as its first occurrence, in summer time (UTC+2):
    the contract's TimeStampType carries no offset, so the two cannot be told apart.
    """
    aware = moment.replace(tzinfo=SWEDISH_TZ, fold=0)
    if aware.astimezone(UTC).astimezone(SWEDISH_TZ).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise NonexistentLocalTime("the time does not exist in Swedish local time (the clock skips it)")
    return aware
