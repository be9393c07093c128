"""Swedish local times as the contract carries them (TimeStampType, no offset)."""

from datetime import UTC, datetime

import pytest

from producers.mapping import timestamp
from service_domain.clock import NonexistentLocalTime, from_local
from service_domain.errors import InvalidRequest


@pytest.mark.parametrize("value", ["20260329020000", "20260329023000", "20260329025959"])
def test_a_time_the_clock_skips_in_spring_is_refused(value: str) -> None:
    """A local time in the hour skipped on the spring-forward night is refused, not moved to 03:xx."""
    with pytest.raises(InvalidRequest, match="does not exist"):
        timestamp(value, "eventTime")


def test_the_hours_around_the_gap_exist() -> None:
    assert timestamp("20260329015959", "t").astimezone(UTC) == datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)
    assert timestamp("20260329030000", "t").astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_the_repeated_autumn_hour_is_read_as_its_first_occurrence() -> None:
    # 25 October 2026: 03:00 summer time becomes 02:00 winter time, so 02:30 happens twice
    moment = timestamp("20261025023000", "t")
    assert moment.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time (UTC+2)
    assert timestamp("20261025033000", "t").astimezone(UTC) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_from_local_names_no_value() -> None:
    with pytest.raises(NonexistentLocalTime) as e:
        from_local(datetime(2026, 3, 29, 2, 15))
    assert "2026" not in str(e.value)


@pytest.mark.parametrize("value", ["20260230120000", "20261301120000"])
def test_impossible_dates_are_refused(value: str) -> None:
    with pytest.raises(InvalidRequest, match="not a valid date"):
        timestamp(value, "eventTime")
