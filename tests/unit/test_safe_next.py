"""Where the staff web may send a browser after logging in (``next``): a path of its own site
only. Browsers drop tabs and newlines from an address and read a backslash as a slash, so
"/\t/evil.example" and "/\\evil.example" are another host's address (issue 17)."""

from __future__ import annotations

import pytest

from staff_web.auth import safe_next

REFUSED = [
    None,
    "",
    "/\t/evil.example",  # /%09/evil.example in the address
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    "//x",
    "///x",
    "/\\x",
    "\\\\x",
    "\\/x",
    "http://x",
    "https://x/ok",
    "javascript:alert(1)",
    "x",
    "ok/page",
    "/\x00",
    "/ok\x7f",
    "/ok\u2028",
    " /x",
]
KEPT = [
    "/",
    "/ok",
    "/ok?a=1",
    "/ok#f",
    "/patient?next=//x",
    "/sampling/order/ORD-1/label",
]


@pytest.mark.parametrize("target", REFUSED, ids=repr)
def test_a_target_that_is_not_a_local_path_is_refused(target: str | None) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", KEPT, ids=repr)
def test_a_local_path_is_kept_as_it_is(target: str) -> None:
    assert safe_next(target) == target
