from datetime import date

import pytest

from service_domain.identity import (
    PERSONNUMMER,
    SAMORDNINGSNUMMER,
    InvalidIdentity,
    PersonId,
    check_hsa_id,
    is_hsa_id,
    luhn_check_digit,
    national_type_of,
    parse_person_id,
)
from tests.support import person_number

TODAY = date(2026, 11, 25)
STOCKHOLM_RESERVE = "1.2.752.97.3.1.3"


def parse(number: str, type_oid: str = PERSONNUMMER, today: date = TODAY, **kw: object) -> PersonId:
    return parse_person_id(number, type_oid, today=today, **kw)  # type: ignore[arg-type]


def test_luhn_digit_of_the_tax_agency_test_number() -> None:
    # 121212-1212 (Tolvan Tolvansson) is the Swedish Tax Agency's published test number
    assert luhn_check_digit("121212121") == 2


# the last one is born on 29 February of a leap year
@pytest.mark.parametrize("number", ["191212121212", "199001012385", "200002292381"])
def test_valid_personnummer(number: str) -> None:
    pid = parse(number)
    assert pid == PersonId(number, PERSONNUMMER)
    assert pid.is_national and not pid.is_samordningsnummer


@pytest.mark.parametrize("last", [d for d in "0123456789" if d != "2"])
def test_every_wrong_check_digit_is_refused(last: str) -> None:
    with pytest.raises(InvalidIdentity, match="check digit"):
        parse("19121212121" + last)


def test_samordningsnummer_has_day_plus_60() -> None:
    number = person_number(date(1985, 3, 7), 123, samordning=True)
    assert number[6:8] == "67"
    pid = parse(number, SAMORDNINGSNUMMER)
    assert pid.is_samordningsnummer
    assert pid.birth_date == date(1985, 3, 7)


@pytest.mark.parametrize("day", [1, 31])
def test_samordningsnummer_on_the_first_and_last_day_of_a_month(day: int) -> None:
    number = person_number(date(1985, 1, day), 123, samordning=True)
    assert number[6:8] == str(60 + day)
    assert parse(number, SAMORDNINGSNUMMER).birth_date == date(1985, 1, day)
    assert national_type_of(number) == SAMORDNINGSNUMMER


def test_day_60_and_92_are_no_days() -> None:
    for day in ("60", "92"):
        digits = f"1985010{day[0]}"[:6] + day + "123"
        number = digits[:11] + str(luhn_check_digit(digits[2:11]))
        with pytest.raises(InvalidIdentity):
            parse(number, SAMORDNINGSNUMMER)


def test_samordningsnummer_under_the_personnummer_type_is_refused() -> None:
    number = person_number(date(1985, 3, 7), 123, samordning=True)
    with pytest.raises(InvalidIdentity, match="samordningsnummer"):
        parse(number)


def test_personnummer_under_the_samordningsnummer_type_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="day of birth \\+ 60"):
        parse("191212121212", SAMORDNINGSNUMMER)


@pytest.mark.parametrize(
    "number, rule",
    [
        ("19900230" + "0000", "date of birth"),  # 30 February
        ("19901301" + "0000", "date of birth"),  # month 13
        ("1990010123", "12 digits"),
        ("19900101238", "12 digits"),  # eleven digits
        ("1990010123856", "12 digits"),  # thirteen digits
        ("19900101238X", "12 digits"),
    ],
)
def test_malformed_numbers(number: str, rule: str) -> None:
    # give the impossible dates a correct check digit so that the date rule is what fails
    if len(number) == 12 and number.isdigit():
        number = number[:11] + str(luhn_check_digit(number[2:11]))
    with pytest.raises(InvalidIdentity, match=rule):
        parse(number)


def test_a_child_born_today_is_valid_and_aged_zero() -> None:
    pid = parse(person_number(TODAY, 1))
    assert pid.age_on(TODAY) == 0


def test_birth_tomorrow_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="future"):
        parse(person_number(date(2026, 11, 26), 1))


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(InvalidIdentity, match="type"):
        parse("191212121212", "1.2.3")


def test_a_reservnummer_needs_its_type_configured() -> None:
    with pytest.raises(InvalidIdentity, match="reservnummer type"):
        parse("991981000010", STOCKHOLM_RESERVE)
    pid = parse("991981000010", STOCKHOLM_RESERVE, reserve_types={STOCKHOLM_RESERVE: r"99[0-9]{10}"})
    assert pid == PersonId("991981000010", STOCKHOLM_RESERVE)
    assert not pid.is_national and pid.birth_date is None and pid.age_on(TODAY) is None


def test_a_reservnummer_follows_its_pattern_and_is_not_luhn_checked() -> None:
    kinds = {STOCKHOLM_RESERVE: r"99[0-9]{10}"}
    assert parse("991981000011", STOCKHOLM_RESERVE, reserve_types=kinds)  # the regional check is not ours
    for bad in ("981981000010", "99198100001", "99198100001A"):
        with pytest.raises(InvalidIdentity, match="format"):
            parse(bad, STOCKHOLM_RESERVE, reserve_types=kinds)
    # without a pattern: letters and digits, at most 32
    assert parse("19810829M071", "1.2.752.113.11.0.2.1.1.1", reserve_types={"1.2.752.113.11.0.2.1.1.1": None})
    with pytest.raises(InvalidIdentity, match="format"):
        parse("A" * 33, "1.2.3.4", reserve_types={"1.2.3.4": None})


def test_error_messages_do_not_quote_the_number() -> None:
    with pytest.raises(InvalidIdentity) as e:
        parse("191212121213")
    assert "191212121213" not in str(e.value)


def test_age() -> None:
    pid = parse(person_number(date(2000, 6, 15), 5))
    assert pid.age_on(date(2026, 6, 14)) == 25
    assert pid.age_on(date(2026, 6, 15)) == 26


@pytest.mark.parametrize(
    "value",
    [
        "SE2321000016-CG01",
        "SE5565594230-EPH",
        "SE2321000255-LAB1",
        "SE2321000016-7P35",
        "SE165565594230-1000",  # Inera's own, with the organisation number's century prefix
        "SE162321000024-0001",
        "SE2321000016-abc1",
        "SE2321000016-" + "A" * 18,  # 31 characters, the most allowed
    ],
)
def test_valid_hsa_ids(value: str) -> None:
    assert is_hsa_id(value)
    assert check_hsa_id(value) == value


@pytest.mark.parametrize(
    "value, rule",
    [
        ("SE2321000017-CG01", "check digit"),  # organisation number with a wrong check digit
        ("SE162321000017-CG01", "check digit"),
        ("SE232100001-CG01", "not an HSA-id"),  # nine digits
        ("SE12321000016-CG01", "not an HSA-id"),  # eleven digits
        ("SE172321000016-CG01", "not an HSA-id"),  # twelve digits without the prefix 16
        ("DK2321000016-CG01", "not an HSA-id"),
        ("SE2321000016-", "not an HSA-id"),
        ("SE2321000016-CG-01", "not an HSA-id"),
        ("SE2321000016-Å01", "not an HSA-id"),
        ("SE2321000016-" + "A" * 19, "not an HSA-id"),  # 32 characters
        ("se2321000016-CG01", "not an HSA-id"),
    ],
)
def test_invalid_hsa_ids(value: str, rule: str) -> None:
    assert not is_hsa_id(value)
    with pytest.raises(InvalidIdentity, match=rule):
        check_hsa_id(value)
