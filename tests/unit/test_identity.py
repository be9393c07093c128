from datetime import date

import pytest

from service_domain.identity import (
    PERSONNUMMER_ROOT,
    SAMORDNINGSNUMMER_ROOT,
    InvalidIdentity,
    check_hsa_id,
    is_hsa_id,
    luhn_check_digit,
    parse_person_id,
)
from tests.support import person_number


def test_luhn_digit_of_the_tax_agency_test_number() -> None:
    # 121212-1212 (Tolvan Tolvansson) is the Swedish Tax Agency's published test number
    assert luhn_check_digit("121212121") == 2


# the last one is born on 29 February of a leap year
@pytest.mark.parametrize("extension", ["191212121212", "199001012385", "200002292381"])
def test_valid_personnummer(extension: str) -> None:
    pid = parse_person_id(PERSONNUMMER_ROOT, extension, today=date(2026, 1, 1))
    assert pid.extension == extension
    assert not pid.is_samordningsnummer


@pytest.mark.parametrize("last", [d for d in "0123456789" if d != "2"])
def test_every_wrong_check_digit_is_refused(last: str) -> None:
    with pytest.raises(InvalidIdentity, match="check digit"):
        parse_person_id(PERSONNUMMER_ROOT, "19121212121" + last)


def test_samordningsnummer_has_day_plus_60() -> None:
    number = person_number(date(1985, 3, 7), 123, samordning=True)
    assert number[6:8] == "67"
    pid = parse_person_id(SAMORDNINGSNUMMER_ROOT, number)
    assert pid.is_samordningsnummer
    assert pid.birth_date == date(1985, 3, 7)


def test_samordningsnummer_under_the_personnummer_root_is_refused() -> None:
    number = person_number(date(1985, 3, 7), 123, samordning=True)
    with pytest.raises(InvalidIdentity, match="samordningsnummer"):
        parse_person_id(PERSONNUMMER_ROOT, number)


def test_personnummer_under_the_samordningsnummer_root_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="day of birth \\+ 60"):
        parse_person_id(SAMORDNINGSNUMMER_ROOT, "191212121212")


@pytest.mark.parametrize(
    "extension, rule",
    [
        ("19900230" + "0000", "date of birth"),  # 30 February
        ("19901301" + "0000", "date of birth"),  # month 13
        ("1990010123", "12 digits"),
        ("19900101238X", "12 digits"),
    ],
)
def test_malformed_numbers(extension: str, rule: str) -> None:
    # give the impossible dates a correct check digit so that the date rule is what fails
    if len(extension) == 12 and extension.isdigit():
        extension = extension[:11] + str(luhn_check_digit(extension[2:11]))
    with pytest.raises(InvalidIdentity, match=rule):
        parse_person_id(PERSONNUMMER_ROOT, extension)


def test_birth_in_the_future_is_refused() -> None:
    number = person_number(date(2030, 1, 1), 1)
    with pytest.raises(InvalidIdentity, match="future"):
        parse_person_id(PERSONNUMMER_ROOT, number, today=date(2026, 11, 25))


def test_unknown_root_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="root"):
        parse_person_id("1.2.3", "191212121212")


def test_error_messages_do_not_quote_the_number() -> None:
    with pytest.raises(InvalidIdentity) as e:
        parse_person_id(PERSONNUMMER_ROOT, "191212121213")
    assert "191212121213" not in str(e.value)


def test_age() -> None:
    pid = parse_person_id(PERSONNUMMER_ROOT, person_number(date(2000, 6, 15), 5))
    assert pid.age_on(date(2026, 6, 14)) == 25
    assert pid.age_on(date(2026, 6, 15)) == 26


@pytest.mark.parametrize(
    "value", ["SE2321000016-CG01", "SE5565594230-EPH", "SE2321000255-LAB1", "SE2321000016-7P35"]
)
def test_valid_hsa_ids(value: str) -> None:
    assert is_hsa_id(value)
    assert check_hsa_id(value) == value


@pytest.mark.parametrize(
    "value, rule",
    [
        ("SE2321000017-CG01", "check digit"),  # organisation number with a wrong check digit
        ("SE232100001-CG01", "not an HSA-id"),  # nine digits
        ("DK2321000016-CG01", "not an HSA-id"),
        ("SE2321000016-", "not an HSA-id"),
        ("SE2321000016-CG-01", "not an HSA-id"),
        ("SE2321000016-" + "A" * 19, "not an HSA-id"),  # 32 characters
        ("se2321000016-CG01", "not an HSA-id"),
    ],
)
def test_invalid_hsa_ids(value: str, rule: str) -> None:
    assert not is_hsa_id(value)
    with pytest.raises(InvalidIdentity, match=rule):
        check_hsa_id(value)
