"""Time in the service domain: stored as UTC, shown and filtered as Swedish local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SWEDISH_TZ = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    return datetime.now(UTC)


def day_start(day: date) -> datetime:
    """Midnight at the start of a Swedish calendar day, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=SWEDISH_TZ)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def local_date(moment: datetime) -> date:
    return moment.astimezone(SWEDISH_TZ).date()
