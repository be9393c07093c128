"""Identity numbers and HSA-ids: format, date and check-digit rules.

HSA-ids begin with SE and the ten-digit organisation number, whose last digit is
also a Luhn digit.

Swedish personal identity numbers (personnummer, root 1.2.752.129.2.1.3.1) and
coordination numbers (samordningsnummer, root 1.2.752.129.2.1.3.3) are carried as
twelve digits YYYYMMDDNNNC. The check digit C is the Luhn (mod 10) digit over
YYMMDDNNN, so that the last ten digits pass the Luhn test. A coordination number
adds 60 to the day of birth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PERSONNUMMER_ROOT = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER_ROOT = "1.2.752.129.2.1.3.3"
PERSON_ID_ROOTS = (PERSONNUMMER_ROOT, SAMORDNINGSNUMMER_ROOT)

_TWELVE_DIGITS = re.compile(r"[0-9]{12}")
_HSA_ID = re.compile(r"SE[0-9]{10}-[A-Za-z0-9]+")
HSA_ID_MAX_LENGTH = 31


class InvalidIdentity(ValueError):
    """An identity number or HSA-id that breaks a format rule.

    The message names the rule, never the value.
    """


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that completes ``digits`` (weights 2,1,2,1,... from the left)."""
    total = 0
    for i, ch in enumerate(digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


@dataclass(frozen=True, slots=True)
class PersonId:
    root: str
    extension: str

    @property
    def is_samordningsnummer(self) -> bool:
        return self.root == SAMORDNINGSNUMMER_ROOT

    @property
    def birth_date(self) -> date:
        return _birth_date(self.extension, self.is_samordningsnummer)

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _birth_date(extension: str, samordning: bool) -> date:
    year, month, day = int(extension[0:4]), int(extension[4:6]), int(extension[6:8])
    if samordning:
        day -= 60
    return date(year, month, day)


def parse_person_id(root: str, extension: str, *, today: date | None = None) -> PersonId:
    """Return a checked PersonId or raise InvalidIdentity saying which rule failed."""
    if root not in PERSON_ID_ROOTS:
        raise InvalidIdentity("patient id root is neither personnummer nor samordningsnummer")
    if not _TWELVE_DIGITS.fullmatch(extension):
        raise InvalidIdentity("patient id must be 12 digits YYYYMMDDNNNC")
    samordning = root == SAMORDNINGSNUMMER_ROOT
    day = int(extension[6:8])
    if samordning and not 61 <= day <= 91:
        raise InvalidIdentity("samordningsnummer must have day of birth + 60")
    if not samordning and day > 60:
        raise InvalidIdentity("a number with day + 60 is a samordningsnummer; use its root")
    try:
        born = _birth_date(extension, samordning)
    except ValueError:
        raise InvalidIdentity("patient id does not hold a valid date of birth") from None
    if born > (today or date.today()):
        raise InvalidIdentity("patient id has a date of birth in the future")
    if luhn_check_digit(extension[2:11]) != int(extension[11]):
        raise InvalidIdentity("patient id check digit is wrong")
    return PersonId(root, extension)


def is_hsa_id(value: str) -> bool:
    """SE + the organisation number (10 digits, Luhn check digit last) + '-' + a local part."""
    return (
        len(value) <= HSA_ID_MAX_LENGTH
        and _HSA_ID.fullmatch(value) is not None
        and luhn_check_digit(value[2:11]) == int(value[11])
    )


def check_hsa_id(value: str, what: str = "HSA-id") -> str:
    if len(value) > HSA_ID_MAX_LENGTH or _HSA_ID.fullmatch(value) is None:
        raise InvalidIdentity(f"{what} is not an HSA-id (SE + 10 digits + '-' + local part, at most 31)")
    if luhn_check_digit(value[2:11]) != int(value[11]):
        raise InvalidIdentity(f"{what} has a wrong check digit in its organisation number")
    return value


def rikskod(number: str) -> str:
    """The code a sexually transmitted infection is reported under to SmiNet instead of the
    identity: the two-digit year of birth and the last four digits, e.g. ``85-2382``."""
    if not _TWELVE_DIGITS.fullmatch(number):
        raise InvalidIdentity("a rikskod is made from a 12-digit identity number")
    return f"{number[2:4]}-{number[8:12]}"
