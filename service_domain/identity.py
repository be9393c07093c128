"""Identity numbers and HSA-ids: format, date and check-digit rules.

A person is identified as in the national core components: the number (``id``) and the
OID of its kind (``type``).

- Personnummer (1.2.752.129.2.1.3.1) and samordningsnummer (1.2.752.129.2.1.3.3) are
  twelve digits YYYYMMDDNNNC. The check digit C is the Luhn (mod 10) digit over YYMMDDNNN,
  so that the last ten digits pass the Luhn test. A samordningsnummer adds 60 to the day of
  birth. Both are checked in full.
- A reservnummer (for a patient without either) has a regional format under the region's
  own OID; the service accepts the OIDs it is configured with, each with an optional
  pattern, and checks nothing more (regional formats have their own check digits, if any).

An HSA-id is SE, the organisation number of the directory owner (ten digits, or twelve
with the century prefix 16), a hyphen and a local part of ASCII letters and digits; at most
31 characters. The organisation number's last digit is its Luhn digit, which is checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

PERSONNUMMER = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "1.2.752.129.2.1.3.3"
NATIONAL_TYPES = (PERSONNUMMER, SAMORDNINGSNUMMER)

_TWELVE_DIGITS = re.compile(r"[0-9]{12}")
_RESERVE_DEFAULT = re.compile(r"[0-9A-Za-z]{1,32}")
_HSA_ID = re.compile(r"SE(?:16)?([0-9]{10})-[A-Za-z0-9]+")
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
    id: str
    type: str = PERSONNUMMER

    @property
    def is_national(self) -> bool:
        """A personnummer or samordningsnummer (as opposed to a regional reservnummer)."""
        return self.type in NATIONAL_TYPES

    @property
    def is_samordningsnummer(self) -> bool:
        return self.type == SAMORDNINGSNUMMER

    @property
    def birth_date(self) -> date | None:
        """The date of birth a personnummer or samordningsnummer holds; None for a reservnummer."""
        return _birth_date(self.id, self.is_samordningsnummer) if self.is_national else None

    def age_on(self, day: date) -> int | None:
        born = self.birth_date
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _birth_date(number: str, samordning: bool) -> date:
    year, month, day = int(number[0:4]), int(number[4:6]), int(number[6:8])
    if samordning:
        day -= 60
    return date(year, month, day)


def parse_person_id(
    number: str, type_oid: str, *, today: date, reserve_types: Mapping[str, str | None] | None = None
) -> PersonId:
    """A checked PersonId, or InvalidIdentity saying which rule failed.

    ``reserve_types`` maps the reservnummer OIDs that may be used here to their pattern (None
    for no pattern beyond 1-32 letters and digits)."""
    if type_oid in NATIONAL_TYPES:
        return PersonId(_check_national(number, type_oid, today), type_oid)
    if reserve_types is not None and type_oid in reserve_types:
        pattern = reserve_types[type_oid]
        if not _RESERVE_DEFAULT.fullmatch(number) or (pattern is not None and not re.fullmatch(pattern, number)):
            raise InvalidIdentity("patient id does not follow the format of its reservnummer type")
        return PersonId(number, type_oid)
    raise InvalidIdentity(
        "patient id type is not personnummer, samordningsnummer or a reservnummer type of the care giver"
    )


def _check_national(number: str, type_oid: str, today: date) -> str:
    if not _TWELVE_DIGITS.fullmatch(number):
        raise InvalidIdentity("patient id must be 12 digits YYYYMMDDNNNC")
    samordning = type_oid == SAMORDNINGSNUMMER
    day = int(number[6:8])
    if samordning and not 61 <= day <= 91:
        raise InvalidIdentity("samordningsnummer must have day of birth + 60")
    if not samordning and day > 60:
        raise InvalidIdentity("a number with day + 60 is a samordningsnummer; use its type")
    try:
        born = _birth_date(number, samordning)
    except ValueError:
        raise InvalidIdentity("patient id does not hold a valid date of birth") from None
    if born > today:
        raise InvalidIdentity("patient id has a date of birth in the future")
    if luhn_check_digit(number[2:11]) != int(number[11]):
        raise InvalidIdentity("patient id check digit is wrong")
    return number


def national_type_of(number: str) -> str:
    """The type of a twelve-digit number by its day of birth: samordningsnummer when day + 60."""
    return SAMORDNINGSNUMMER if len(number) == 12 and number.isdigit() and int(number[6:8]) > 60 else PERSONNUMMER


def is_hsa_id(value: str) -> bool:
    try:
        check_hsa_id(value)
    except InvalidIdentity:
        return False
    return True


def check_hsa_id(value: str, what: str = "HSA-id") -> str:
    match = _HSA_ID.fullmatch(value)
    if len(value) > HSA_ID_MAX_LENGTH or match is None:
        raise InvalidIdentity(
            f"{what} is not an HSA-id (SE + organisation number + '-' + letters and digits, at most 31)"
        )
    organisation = match.group(1)
    if luhn_check_digit(organisation[:9]) != int(organisation[9]):
        raise InvalidIdentity(f"{what} has a wrong check digit in its organisation number")
    return value


def rikskod(number: str) -> str:
    """The code a sexually transmitted infection is reported under to SmiNet instead of the
    identity: the two-digit year of birth and the last four digits, e.g. ``85-2382``."""
    if not _TWELVE_DIGITS.fullmatch(number):
        raise InvalidIdentity("a rikskod is made from a 12-digit identity number")
    return f"{number[2:4]}-{number[8:12]}"
