"""Surviving mutants judged equivalent: they change no behaviour a caller can observe.

Each mutmut entry maps the mutant's name to (a fragment of the changed line, the reason); the
driver checks the fragment against ``mutmut show`` so that an entry whose number now names
another mutant is reported as stale instead of hiding a survivor. Table mutants are keyed by
their description (tests/mutation/tables.py).
"""

from __future__ import annotations

EQUIVALENT_MUTMUT: dict[str, tuple[str, str]] = {}

EQUIVALENT_TABLES: dict[str, str] = {}
