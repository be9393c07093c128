"""What of a caller's own values may be echoed in a fault or written to the call log.

The receiver (logical address) and the contract namespace come from the caller's message:
they can be of any length and hold anything, a personal identity number included. Before
either is echoed or logged it is checked here: too long, control characters, or the shape
of a Swedish personal or coordination number, and only a description of the value is shown.

The caller's correlation id (``x-skltp-correlation-id``) is not only logged but returned and
passed on to the producer, so it is held to a stricter rule: at most 128 characters of
letters, digits and ``-_.:``, and no personal identity number; any other id is replaced.
"""

from __future__ import annotations

import re

MAX_SHOWN = 255  # TAK's own fields hold at most 255 characters
MAX_CORRELATION_ID = 128
_CORRELATION_ID = re.compile(r"[A-Za-z0-9_.:-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# 12 digits (century included) or 10, with an optional - or + before the last four
_PERSON = re.compile(r"(?<!\d)(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{3})(\d)(?!\d)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def looks_like_person_number(value: str) -> bool:
    """Whether ``value`` holds a personal or coordination number (a date, then a Luhn-checked serial)."""
    for m in _PERSON.finditer(value):
        _century, year, month, day, serial, check = m.groups()
        day_of_month = int(day) - 60 if int(day) > 60 else int(day)  # coordination numbers add 60
        if 1 <= int(month) <= 12 and 1 <= day_of_month <= 31 and _luhn_ok(f"{year}{month}{day}{serial}{check}"):
            return True
    return False


def problem_of(value: str) -> str | None:
    """Why ``value`` may not be shown, or None when it may."""
    if len(value) > MAX_SHOWN:
        return f"{len(value)} characters"
    if _CONTROL.search(value):
        return "control characters"
    if looks_like_person_number(value):
        return "looks like a personal identity number"
    return None


def shown(value: str | None) -> str | None:
    """``value`` itself when it may be shown, else a description of why it is not."""
    if value is None:
        return None
    problem = problem_of(value)
    return value if problem is None else f"(not shown: {problem})"


def correlation_id_problem(value: str) -> str | None:
    """Why a caller's correlation id is not taken (it is then replaced), or None when it is.

    The description never holds the id itself."""
    if len(value) > MAX_CORRELATION_ID:
        return f"{len(value)} characters, more than {MAX_CORRELATION_ID}"
    if not _CORRELATION_ID.fullmatch(value):
        return "characters other than letters, digits and -_.:"
    if looks_like_person_number(value):
        return "looks like a personal identity number"
    return None
