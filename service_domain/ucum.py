"""Syntax check of UCUM unit expressions (case-sensitive form) for lab result units.

UCUM, The Unified Code for Units of Measure, writes units such as ``mmol/L``,
``10*9/L``, ``mL/min/{1.73_m2}`` or ``mm[Hg]`` in plain ASCII. This module
answers one question: is a string well formed by UCUM's syntax? It does not
know UCUM's table of unit atoms and prefixes, so ``xyz/L`` passes while it is no
real unit; it does not convert, compare or normalise units.

The grammar, as this module reads it (after the BNF in UCUM §2.2):

- An expression is a term, optionally preceded by one ``/`` that inverts it
  (``/min``). Only the whole expression may start with ``/``, not a
  parenthesised term inside it.
- A term is one or more components joined by ``.`` (multiply) or ``/``
  (divide). Both are binary; nothing may stand between two components without
  one of them, and an expression may not end with one.
- A component is one of:
  a number (a run of digits, e.g. ``24`` in ``mg/(24.h)``);
  a simple unit, optionally with an exponent, optionally followed by one
  annotation (``m2``, ``s-1``, ``%{HbA1c}``);
  an annotation standing alone, meaning the unity (``{copies}``);
  a term in round parentheses (``mg/(24.h)``).
- An exponent is a run of digits, optionally led by ``+`` or ``-``, written
  directly after a simple unit. Digits at the end of a unit symbol are always
  its exponent (``cm3``, ``10*9``: the atom ``10*`` raised to 9).
- An annotation is ``{``, at least one character in the range 33-126 other
  than a brace, then ``}``.
- A simple unit symbol is made of ASCII characters 33-126 other than
  ``" ( ) + - . / = [ ] { }``, and may contain pairs of square brackets anywhere
  (``[IU]``, ``mm[Hg]``, ``[in_i'Hg]``). Inside a pair, any character 33-126
  other than a square bracket may appear, operators included (the period in
  ``B[10.nV]`` is part of the symbol); pairs do not nest and are not empty.

Rules this module adds or takes from the BNF where UCUM's prose is looser:

- At most :data:`MAX_UNIT_LENGTH` (64) characters; no whitespace, control
  characters or non-ASCII anywhere (UCUM writes micro as ``u``, not ``µ``).
- A number takes neither an exponent nor an annotation (``2+10`` and ``2{x}``
  are refused: the BNF has no such component, although §9's prose mentions
  ``2+10``). Nor does a parenthesised term (``(m.s)2``, ``(m){x}``).
- A unit symbol may not start with a digit unless it is ``10*`` or ``10^``, the
  only UCUM atoms that do. This refuses a number glued to a unit (``2m``,
  ``1.73m2``, ``10E9/L``), which UCUM would read as an unknown symbol.
- Empty annotations ``{}`` and empty square brackets ``[]`` are refused.

Error messages name the rule and a 1-based position, and show at most the one
character at fault; they never repeat the input.
"""

from __future__ import annotations

MAX_UNIT_LENGTH = 64

_DIGITS = frozenset("0123456789")
_SIGNS = frozenset("+-")
_OPERATORS = frozenset("./")
# Characters with a meaning of their own in UCUM; none may be part of a unit symbol
# outside square brackets.
_SPECIAL = frozenset('"()+-./=[]{}')
_OUTSIDE_BRACKETS_ONLY = frozenset('"=')
_UNMATCHED = {
    ")": "')' without a matching '('",
    "]": "']' without a matching '['",
    "}": "'}' without a matching '{'",
}
_SYMBOL_CHARS = frozenset(chr(c) for c in range(33, 127)) - _SPECIAL
_ATOMS_STARTING_WITH_DIGIT = ("10*", "10^")


class InvalidUnit(ValueError):
    """A string that is not a syntactically valid UCUM expression.

    The message says which rule failed and where; it never repeats the input.
    """


def check_unit(text: str) -> str:
    """Return ``text`` unchanged if it is a valid UCUM expression, else raise InvalidUnit."""
    if not text:
        raise InvalidUnit("unit is empty")
    if len(text) > MAX_UNIT_LENGTH:
        raise InvalidUnit(f"unit is longer than {MAX_UNIT_LENGTH} characters")
    for index, ch in enumerate(text, start=1):
        code = ord(ch)
        if code > 127:
            raise InvalidUnit(
                f"position {index}: character U+{code:04X} is not ASCII (UCUM writes micro as 'u')"
            )
        if code <= 32 or code == 127:
            raise InvalidUnit(f"position {index}: whitespace or control character")
    _Parser(text).main_term()
    return text


def is_ucum(text: str) -> bool:
    """True if ``text`` is a syntactically valid UCUM expression."""
    try:
        check_unit(text)
    except InvalidUnit:
        return False
    return True


def _show(ch: str) -> str:
    return f"'{ch}'" if 33 <= ord(ch) <= 126 else f"U+{ord(ch):04X}"


class _Parser:
    """Recursive descent over a pre-checked string (ASCII 33-126, at most 64 long)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _fail(self, message: str, at: int | None = None) -> InvalidUnit:
        where = self.pos if at is None else at
        return InvalidUnit(f"position {where + 1}: {message}")

    def _unexpected(self, expected: str) -> InvalidUnit:
        ch = self._peek()
        if ch in _OUTSIDE_BRACKETS_ONLY:
            return self._fail(f"character {_show(ch)} is not allowed outside square brackets")
        if ch in _UNMATCHED:
            return self._fail(_UNMATCHED[ch])
        return self._fail(f"{_show(ch)} where {expected} was expected")

    def main_term(self) -> None:
        if self._peek() == "/":
            self.pos += 1
            if not self._peek():
                raise self._fail("a unit must follow the leading '/'", at=0)
        self.term()
        if self.pos < len(self.text):
            raise self._unexpected("'.', '/' or the end")

    def term(self) -> None:
        self.component()
        while self._peek() in _OPERATORS:
            self.pos += 1
            if not self._peek():
                raise self._fail("the unit ends with an operator", at=self.pos - 1)
            self.component()

    def component(self) -> None:
        ch = self._peek()
        if not ch:
            raise self._fail("the unit ends where a unit was expected")
        if ch == "(":
            self._parenthesised()
        elif ch == "{":
            self._annotation()
            self._no_suffix("an annotation")
        elif ch in _OPERATORS:
            raise self._fail(f"operator {_show(ch)} where a unit was expected")
        elif ch in _SIGNS:
            raise self._fail("an exponent sign must follow a unit symbol")
        elif ch == ")":
            raise self._fail("')' where a unit was expected")
        elif ch in _SYMBOL_CHARS or ch == "[":
            self._simple_unit_or_number()
        else:
            raise self._unexpected("a unit")

    def _parenthesised(self) -> None:
        opened = self.pos
        self.pos += 1
        if not self._peek():
            raise self._fail("'(' is not closed", at=opened)
        if self._peek() == ")":
            raise self._fail("empty parentheses", at=opened)
        if self._peek() == "/":
            raise self._fail("a leading '/' is only allowed at the start of the unit")
        self.term()
        if self._peek() != ")":
            if not self._peek():
                raise self._fail("'(' is not closed", at=opened)
            raise self._unexpected("'.', '/' or ')'")
        self.pos += 1
        self._no_suffix("a parenthesised term")

    def _no_suffix(self, what: str) -> None:
        """After a number, annotation or ')': no exponent, annotation or symbol may follow."""
        ch = self._peek()
        if ch in _DIGITS or ch in _SIGNS:
            raise self._fail(f"{what} can not take an exponent")
        if ch == "{":
            raise self._fail(f"an annotation can not follow {what}")
        if ch and (ch in _SYMBOL_CHARS or ch in "[("):
            raise self._fail(f"'.' or '/' missing after {what}")

    def _simple_unit_or_number(self) -> None:
        start = self.pos
        while True:
            ch = self._peek()
            if ch == "[":
                self._square_brackets()
            elif ch in _SYMBOL_CHARS:
                self.pos += 1
            else:
                break
        run = self.text[start : self.pos]
        if all(c in _DIGITS for c in run):
            self._no_suffix("a number")
            return
        cut = len(run)
        while run[cut - 1] in _DIGITS:
            cut -= 1
        symbol, has_exponent = run[:cut], cut < len(run)
        if symbol[0] in _DIGITS and symbol not in _ATOMS_STARTING_WITH_DIGIT:
            raise self._fail(
                "unit symbol starts with a digit (only 10* and 10^ may); put '.' between a number and a unit",
                at=start,
            )
        if self._peek() in _SIGNS:
            if has_exponent:
                raise self._fail("a unit takes only one exponent")
            sign = self.pos
            self.pos += 1
            if self._peek() not in _DIGITS:
                raise self._fail("exponent sign is not followed by digits", at=sign)
            while self._peek() in _DIGITS:
                self.pos += 1
        if self._peek() == "{":
            self._annotation()
            self._no_suffix("an annotation")
        elif self._peek() == "(":
            raise self._fail("'.' or '/' missing before '('")

    def _square_brackets(self) -> None:
        opened = self.pos
        self.pos += 1
        while True:
            ch = self._peek()
            if not ch:
                raise self._fail("'[' is not closed", at=opened)
            if ch == "[":
                raise self._fail("square brackets can not be nested")
            if ch == "]":
                break
            self.pos += 1
        if self.pos == opened + 1:
            raise self._fail("empty square brackets", at=opened)
        self.pos += 1

    def _annotation(self) -> None:
        opened = self.pos
        self.pos += 1
        while True:
            ch = self._peek()
            if not ch:
                raise self._fail("'{' is not closed", at=opened)
            if ch == "{":
                raise self._fail("'{' inside an annotation")
            if ch == "}":
                break
            self.pos += 1
        if self.pos == opened + 1:
            raise self._fail("empty annotation", at=opened)
        self.pos += 1
