from datetime import date, timedelta

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
    rikskod,
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
    assert pid.is_national
    assert not pid.is_samordningsnummer


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
    assert not pid.is_national
    assert pid.birth_date is None
    assert pid.age_on(TODAY) is None


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


# -- boundaries and exact refusals (each of these once let a broken rule through) ---------------

def luhn_valid(digits: str) -> bool:
    """The Luhn test as the tax agency describes it, written apart from the code under test:
    double every other digit from the right, add the digits of the products, and the sum ends in 0."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


# ten-digit numbers that pass the Luhn test: personnummer without the century, and organisation numbers
LUHN_VALID = ["1212121212", "8112189876", "9001012385", "0002292381", "2321000016", "5565594230",
              "2321000255", "2321000024"]


@pytest.mark.parametrize("number", LUHN_VALID)
def test_luhn_digit_of_known_numbers(number: str) -> None:
    assert luhn_valid(number)
    assert luhn_check_digit(number[:9]) == int(number[9])


def test_luhn_digit_agrees_with_the_luhn_test_for_every_nine_digit_prefix_of_a_sample() -> None:
    for n in range(0, 10**9, 7_654_321):
        nine = f"{n:09d}"
        digit = luhn_check_digit(nine)
        assert 0 <= digit <= 9, nine
        assert luhn_valid(nine + str(digit)), nine
        assert not any(luhn_valid(nine + str(other)) for other in range(10) if other != digit)


def with_check_digit(eleven: str) -> str:
    """Twelve digits whose last is the right Luhn digit, found by the independent test."""
    return next(eleven + d for d in "0123456789" if luhn_valid(eleven[2:] + d))


@pytest.mark.parametrize("day", [1, 31])
def test_samordningsnummer_on_the_first_and_the_31st_of_a_month(day: int) -> None:
    number = with_check_digit(f"198501{60 + day}123")
    pid = parse(number, SAMORDNINGSNUMMER)
    assert pid.birth_date == date(1985, 1, day)
    assert pid.age_on(date(2026, 1, day)) == 41
    assert pid.age_on(date(2026, 1, day) - timedelta(days=1)) == 40
    assert national_type_of(number) == SAMORDNINGSNUMMER


@pytest.mark.parametrize("day", [1, 31])
def test_personnummer_on_the_first_and_the_31st_of_a_month(day: int) -> None:
    number = with_check_digit(f"198501{day:02d}123")
    assert parse(number).birth_date == date(1985, 1, day)
    assert national_type_of(number) == PERSONNUMMER


@pytest.mark.parametrize("day", range(10, 32, 3))
def test_national_type_of_reads_the_day_only(day: int) -> None:
    # the serial after the day must not be read as part of it
    assert national_type_of(with_check_digit(f"198503{day:02d}999")) == PERSONNUMMER
    assert national_type_of(with_check_digit(f"198503{day + 60:02d}999")) == SAMORDNINGSNUMMER


@pytest.mark.parametrize("number", ["19850361123", "1985036112345", "19850361123X", "198503611234 "])
def test_national_type_of_a_number_that_is_not_twelve_digits_is_personnummer(number: str) -> None:
    assert national_type_of(number) == PERSONNUMMER


def test_a_child_born_today_is_valid_and_one_born_tomorrow_is_not() -> None:
    today = date(2026, 3, 1)
    born_today = with_check_digit("20260301123")
    assert parse(born_today, today=today).age_on(today) == 0
    assert parse(with_check_digit("20260228123"), today=today).age_on(today) == 0
    with pytest.raises(InvalidIdentity, match="^patient id has a date of birth in the future$"):
        parse(born_today, today=today - timedelta(days=1))
    coordination = with_check_digit("20260361123")
    assert parse(coordination, SAMORDNINGSNUMMER, today=today).birth_date == today
    with pytest.raises(InvalidIdentity, match="future"):
        parse(coordination, SAMORDNINGSNUMMER, today=today - timedelta(days=1))


# (number, type, the exact message)
REFUSALS = [
    ("19121212121", PERSONNUMMER, "patient id must be 12 digits YYYYMMDDNNNC"),  # 11 digits
    ("1912121212120", PERSONNUMMER, "patient id must be 12 digits YYYYMMDDNNNC"),  # 13 digits
    ("19121212121", SAMORDNINGSNUMMER, "patient id must be 12 digits YYYYMMDDNNNC"),
    ("1912121212120", SAMORDNINGSNUMMER, "patient id must be 12 digits YYYYMMDDNNNC"),
    ("19121212-1212", PERSONNUMMER, "patient id must be 12 digits YYYYMMDDNNNC"),
    ("191212121213", PERSONNUMMER, "patient id check digit is wrong"),
    (with_check_digit("19850160123"), SAMORDNINGSNUMMER, "samordningsnummer must have day of birth + 60"),
    (with_check_digit("19850192123"), SAMORDNINGSNUMMER, "samordningsnummer must have day of birth + 60"),
    (with_check_digit("19850100123"), SAMORDNINGSNUMMER, "samordningsnummer must have day of birth + 60"),
    (with_check_digit("19850161123"), PERSONNUMMER, "a number with day + 60 is a samordningsnummer; use its type"),
    (with_check_digit("19850160123"), PERSONNUMMER, "patient id does not hold a valid date of birth"),
    (with_check_digit("19850132123"), PERSONNUMMER, "patient id does not hold a valid date of birth"),
    (with_check_digit("19850229123"), PERSONNUMMER, "patient id does not hold a valid date of birth"),
    (with_check_digit("19850289123"), SAMORDNINGSNUMMER, "patient id does not hold a valid date of birth"),
    (with_check_digit("19851301123"), PERSONNUMMER, "patient id does not hold a valid date of birth"),
    (with_check_digit("19850001123"), PERSONNUMMER, "patient id does not hold a valid date of birth"),
    ("191212121212", "1.2.752.129.2.1.3.2", "patient id type is not personnummer, samordningsnummer or a "
                                            "reservnummer type of the care giver"),
]


@pytest.mark.parametrize("number, type_oid, message", REFUSALS)
def test_each_rule_refuses_with_its_own_words(number: str, type_oid: str, message: str) -> None:
    with pytest.raises(InvalidIdentity) as refused:
        parse(number, type_oid)
    assert str(refused.value) == message


def test_the_national_types_are_the_published_oids() -> None:
    assert parse("191212121212", "1.2.752.129.2.1.3.1").is_national
    samordning = with_check_digit("19850367123")
    pid = parse(samordning, "1.2.752.129.2.1.3.3")
    assert pid.is_national
    assert pid.is_samordningsnummer
    assert pid.birth_date == date(1985, 3, 7)
    assert not PersonId("191212121212", "1.2.752.129.2.1.3.1").is_samordningsnummer


def test_a_reservnummer_type_needs_the_configured_types_even_when_empty() -> None:
    with pytest.raises(InvalidIdentity, match="reservnummer type of the care giver"):
        parse("A1", "1.2.3.4", reserve_types={})
    with pytest.raises(InvalidIdentity, match="reservnummer type of the care giver"):
        parse("A1", "1.2.3.4", reserve_types={"1.2.3.5": None})


@pytest.mark.parametrize("number, ok", [("A", True), ("a" * 32, True), ("", False), ("a" * 33, False),
                                         ("AB-12", False), ("AB 12", False), ("ÅB12", False)])
def test_a_reservnummer_without_a_pattern_is_1_to_32_letters_and_digits(number: str, ok: bool) -> None:
    kinds: dict[str, str | None] = {"1.2.3.4": None}
    if ok:
        assert parse(number, "1.2.3.4", reserve_types=kinds) == PersonId(number, "1.2.3.4")
    else:
        with pytest.raises(InvalidIdentity) as refused:
            parse(number, "1.2.3.4", reserve_types=kinds)
        assert str(refused.value) == "patient id does not follow the format of its reservnummer type"


def test_a_reservnummer_pattern_narrows_but_never_widens_the_default() -> None:
    kinds = {"1.2.3.4": r".*"}
    assert parse("AB12", "1.2.3.4", reserve_types=kinds)
    for bad in ("AB-12", "", "a" * 33):
        with pytest.raises(InvalidIdentity, match="format"):
            parse(bad, "1.2.3.4", reserve_types=kinds)
    with pytest.raises(InvalidIdentity, match="format"):
        parse("AB12", "1.2.3.4", reserve_types={"1.2.3.4": r"[0-9]+"})


@pytest.mark.parametrize("value, ok", [
    ("SE2321000016-" + "A" * 18, True),  # 31 characters
    ("SE162321000016-" + "A" * 16, True),  # 31 with the century prefix
    ("SE2321000016-" + "A" * 19, False),  # 32
    ("SE162321000016-" + "A" * 17, False),  # 32
    ("SE2321000016-A", True),  # a local part of one character
    ("SE2321000016", False),  # no local part at all
    ("SE16-A1", False),
    ("SE232100001-A1", False),  # 9 digits
    ("SE23210000160-A1", False),  # 11 digits
    ("SE2321000017-A1", False),  # wrong Luhn digit
])
def test_hsa_id_boundaries(value: str, ok: bool) -> None:
    assert is_hsa_id(value) is ok
    if ok:
        assert check_hsa_id(value) == value
    else:
        with pytest.raises(InvalidIdentity):
            check_hsa_id(value)


def test_hsa_id_refusals_name_what_was_checked() -> None:
    with pytest.raises(InvalidIdentity) as refused:
        check_hsa_id("SE2321000016-" + "A" * 19, "performingLabHSAId")
    assert str(refused.value) == ("performingLabHSAId is not an HSA-id (SE + organisation number + '-' + "
                                  "letters and digits, at most 31)")
    with pytest.raises(InvalidIdentity) as refused:
        check_hsa_id("SE2321000017-A1", "careGiverHSAId")
    assert str(refused.value) == "careGiverHSAId has a wrong check digit in its organisation number"
    with pytest.raises(InvalidIdentity) as refused:
        check_hsa_id("SE2321000017-A1")
    assert str(refused.value) == "HSA-id has a wrong check digit in its organisation number"


def test_rikskod() -> None:
    assert rikskod("198503072382") == "85-2382"
    assert rikskod("200012319999") == "00-9999"
    for bad in ("19850307238", "1985030723820", "19850307238X"):
        with pytest.raises(InvalidIdentity) as refused:
            rikskod(bad)
        assert str(refused.value) == "a rikskod is made from a 12-digit identity number"


def test_day_60_is_no_samordningsnummer_day() -> None:
    # a day of 60 is no date under either type; read as a personnummer it is refused for its date
    number = with_check_digit("19850160123")
    assert national_type_of(number) == PERSONNUMMER
    assert national_type_of(with_check_digit("19850161123")) == SAMORDNINGSNUMMER
    with pytest.raises(InvalidIdentity, match="^patient id does not hold a valid date of birth$"):
        parse(number, national_type_of(number))
