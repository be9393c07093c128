"""Identity numbers as staff type and read them."""

from __future__ import annotations

import re
from datetime import date

from service_domain.identity import (
    SAMORDNINGSNUMMER,
    InvalidIdentity,
    PersonId,
    national_type_of,
    parse_person_id,
)


class NotAnIdentityNumber(ValueError):
    pass


def parse(text: str, today: date) -> PersonId:
    """A personnummer or samordningsnummer as staff type it: 12 digits, with or without '-',
    or 10 digits with '-' (or '+' for 100 years or older)."""
    t = re.sub(r"\s", "", text or "")
    m12 = re.fullmatch(r"(\d{8})-?(\d{4})", t)
    m10 = re.fullmatch(r"(\d{6})([-+]?)(\d{4})", t)
    if m12:
        digits = m12.group(1) + m12.group(2)
    elif m10:
        yy = int(m10.group(1)[:2])
        century = today.year // 100 * 100
        year = century + yy if century + yy <= today.year else century - 100 + yy
        if m10.group(2) == "+":
            year -= 100
        digits = f"{year:04d}" + m10.group(1)[2:] + m10.group(3)
    else:
        raise NotAnIdentityNumber("Ange personnummer eller samordningsnummer som ÅÅÅÅMMDD-NNNN.")
    try:
        return parse_person_id(digits, national_type_of(digits), today=today)
    except InvalidIdentity:
        raise NotAnIdentityNumber(
            "Numret är inte ett giltigt personnummer eller samordningsnummer (kontrollera siffrorna)."
        ) from None


def show(number: str) -> str:
    """19850317-2382"""
    return f"{number[:8]}-{number[8:]}" if len(number) == 12 else number


def kind(person: PersonId) -> str:
    if person.type == SAMORDNINGSNUMMER:
        return "samordningsnummer"
    return "personnummer" if person.is_national else "reservnummer"
