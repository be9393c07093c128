import pytest

from service_domain.ucum import MAX_UNIT_LENGTH, InvalidUnit, check_unit, is_ucum

# Units as Swedish laboratories report them.
LAB_UNITS = [
    "mmol/L",
    "mmol/mol",
    "g/L",
    "10*9/L",
    "%",
    "mL/min/{1.73_m2}",
    "[IU]/L",
    "/min",
    "{copies}/mL",
    "1",
    "kg/m2",
    "U/L",
    "mg/dL",
    "[pH]",
    "fL",
    "pg",
    "nmol/L",
    "ug/L",
    "mm[Hg]",
    "10*3/uL",
    "{ratio}",
    "s",
    "mL/min",
    "mosm/kg",
    "g/dL",
    "%{HbA1c}",
]

# Each exercises one grammar rule.
OTHER_VALID = [
    "m2",  # exponent directly after a symbol
    "s-1",  # negative exponent
    "m+2",  # explicit plus sign
    "cm3",
    "10^3",  # the other power-of-ten atom
    "10*-3",  # 10* with a signed exponent
    "10*",  # 10* alone
    "/2",  # a leading solidus before a number
    "24",  # a number alone
    "kg.m/s2",  # both operators
    "mg/(24.h)",  # parentheses and a number as a component
    "/(m.s)",  # leading solidus before a parenthesised term
    "((m))",  # nested parentheses
    "(m.s)/kg",
    "m/s/s",  # more than one solidus
    "[in_i]",  # period inside square brackets is part of the symbol
    "[in_i'Hg]",
    "B[10.nV]",  # digits and period inside brackets
    "m[H2O]",  # brackets after a prefix-like part
    "[abc+ef]",  # sign inside brackets is literal
    "[a{b]",  # brace inside brackets is literal
    "[in_i]2",  # exponent after a bracketed symbol
    "%[slope]",
    "''",  # arc second
    "'",  # arc minute
    "{#}/[HPF]",
    "{a(b)[c]/d.e}",  # operators, parentheses and brackets inside an annotation are literal
    "10*9{cells}/L",  # annotation after an exponent
    "m2{x}",
    "mm[Hg]{venous}",
    "xyz/L",  # unknown symbols pass: only syntax is checked
    "{" + "a" * (MAX_UNIT_LENGTH - 2) + "}",  # exactly at the length limit
]


@pytest.mark.parametrize("text", LAB_UNITS + OTHER_VALID)
def test_valid_unit_is_returned_unchanged(text: str) -> None:
    assert check_unit(text) == text
    assert is_ucum(text)


# (input, words the message must contain)
INVALID = [
    ("", "empty"),
    ("a" * (MAX_UNIT_LENGTH + 1), "longer than 64"),
    (" ", "whitespace"),
    ("mg /L", "position 3: whitespace"),
    ("mg/L ", "position 5: whitespace"),
    ("\tmg/L", "position 1: whitespace"),
    ("mg/L\n", "whitespace"),
    ("mg\x7f/L", "control"),
    ("{a b}", "whitespace"),  # space is not allowed even in an annotation
    ("µg/L", "U+00B5 is not ASCII"),
    ("mg\u00a0/L", "not ASCII"),  # no-break space
    ("m²", "not ASCII"),
    ("mg//L", "operator '/' where a unit was expected"),
    ("m..s", "operator '.' where a unit was expected"),
    ("//min", "operator '/' where a unit was expected"),
    (".m", "position 1: operator '.'"),
    ("m/.s", "operator '.'"),
    ("mg/", "ends with an operator"),
    ("mg.", "ends with an operator"),
    ("/", "must follow the leading '/'"),
    ("(mg/L", "position 1: '(' is not closed"),
    ("(", "not closed"),
    ("mg/L)", "')' without a matching '('"),
    ("()", "empty parentheses"),
    ("m/()", "empty parentheses"),
    ("(/s)", "leading '/' is only allowed at the start"),
    ("[IU", "'[' is not closed"),
    ("IU]/L", "']' without a matching '['"),
    ("m/]", "']' without a matching '['"),
    ("[[a]]", "can not be nested"),
    ("[]", "empty square brackets"),
    ("{abc", "'{' is not closed"),
    ("abc}", "'}' without a matching '{'"),
    ("{a{b}}", "'{' inside an annotation"),
    ("{}", "empty annotation"),
    ("{a}{b}", "annotation can not follow an annotation"),
    ("m-", "sign is not followed by digits"),
    ("m+/s", "sign is not followed by digits"),
    ("m2-1", "only one exponent"),
    ("-1", "exponent sign must follow a unit symbol"),
    ("+m", "exponent sign must follow a unit symbol"),
    ("(m)2", "parenthesised term can not take an exponent"),
    ("(m){x}", "annotation can not follow a parenthesised term"),
    ("(m)s", "missing after a parenthesised term"),
    ("2{x}", "annotation can not follow a number"),  # the BNF has no number with annotation
    ("2+10", "number can not take an exponent"),  # nor a number with an exponent
    ("{x}m", "missing after an annotation"),
    ("{x}2", "annotation can not take an exponent"),
    ("m{x}2", "annotation can not take an exponent"),
    ("m(s)", "missing before '('"),
    ("2(m)", "missing after a number"),
    ("2m", "starts with a digit"),
    ("1.73m2", "position 3: unit symbol starts with a digit"),
    ("10E9/L", "starts with a digit"),
    ("100*3/L", "starts with a digit"),
    ("m=s", "'=' is not allowed outside square brackets"),
    ('m"s', "is not allowed outside square brackets"),
    ("=", "is not allowed outside square brackets"),
    ("s-1m", "'m' where '.', '/' or the end was expected"),
    ("(s-1m)", "'m' where '.', '/' or ')' was expected"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_unit_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidUnit) as refused:
        check_unit(text)
    assert reason in str(refused.value)
    assert not is_ucum(text)


def test_invalid_unit_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_unit("mg//L")


@pytest.mark.parametrize("text", [text for text, _ in INVALID if len(text) >= 3])
def test_message_does_not_repeat_the_input(text: str) -> None:
    with pytest.raises(InvalidUnit) as refused:
        check_unit(text)
    assert text not in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        "191212121212",  # a number is valid UCUM; the check does not hide that
    ],
)
def test_digits_alone_are_a_number(text: str) -> None:
    assert is_ucum(text)


@pytest.mark.parametrize(
    "text",
    [
        "19121212-1212",  # an identity number pasted into the unit field
        "mmol/L Tolvan Tolvansson",
        "Tolvan.Tolvansson/" + "x" * 60,
        "{Tolvan Tolvansson}",
    ],
)
def test_personal_data_typed_as_a_unit_is_not_echoed(text: str) -> None:
    with pytest.raises(InvalidUnit) as refused:
        check_unit(text)
    message = str(refused.value)
    for fragment in ("1212", "Tolvan", "Tolvansson", "mmol"):
        assert fragment not in message


def test_position_is_counted_from_one() -> None:
    with pytest.raises(InvalidUnit, match=r"^position 1: "):
        check_unit(".mg")
    with pytest.raises(InvalidUnit, match=r"^position 7: "):
        check_unit("mmol/L/")


def test_each_character_outside_ascii_printable_is_refused() -> None:
    refused = [code for code in range(0, 0x250) if not is_ucum(f"m{chr(code)}")]
    accepted = sorted(set(range(0, 0x250)) - set(refused))
    # m followed by a digit is an exponent; by % ' * ^ etc. a longer symbol
    assert accepted == [c for c in range(33, 127) if chr(c) not in '"()+-./=[]{}']


# The whole message for each rule whose words or position once could change unnoticed: the
# position points at the opening bracket that is not closed or is empty.
EXACT = [
    ("(mg/L", "position 1: '(' is not closed"),
    ("mg/(L", "position 4: '(' is not closed"),
    ("m/(", "position 3: '(' is not closed"),
    ("m/()", "position 3: empty parentheses"),
    ("m.(/s)", "position 4: a leading '/' is only allowed at the start of the unit"),
    ("m2-1", "position 3: a unit takes only one exponent"),
    ("mm[Hg", "position 3: '[' is not closed"),
    ("m[a[b]]", "position 4: square brackets can not be nested"),
    ("mm[]", "position 3: empty square brackets"),
    ("m/{abc", "position 3: '{' is not closed"),
    ("m{a{b}}", "position 4: '{' inside an annotation"),
    ("mL/{}", "position 4: empty annotation"),
    ("m(s)", "position 2: '.' or '/' missing before '('"),
    ("{x}[y]", "position 4: '.' or '/' missing after an annotation"),
    ("(m)(s)", "position 4: '.' or '/' missing after a parenthesised term"),
    ("24(m)", "position 3: '.' or '/' missing after a number"),
    ("m/s)", "position 4: ')' without a matching '('"),
    ("m/]", "position 3: ']' without a matching '['"),
    ("m=s", "position 2: character '=' is not allowed outside square brackets"),
    ("s-1m", "position 4: 'm' where '.', '/' or the end was expected"),
    ("/", "position 1: a unit must follow the leading '/'"),
    ("mg/", "position 3: the unit ends with an operator"),
    ("m.s.", "position 4: the unit ends with an operator"),
    ("-1", "position 1: an exponent sign must follow a unit symbol"),
    ("m/)", "position 3: ')' where a unit was expected"),
    ("(m/)", "position 4: ')' where a unit was expected"),
    ("m-", "position 2: exponent sign is not followed by digits"),
    ("cm+x", "position 3: exponent sign is not followed by digits"),
    # the first and the last printable character are shown as themselves
    ("m+2!", "position 4: '!' where '.', '/' or the end was expected"),
    ("(m-1~)", "position 5: '~' where '.', '/' or ')' was expected"),
]


@pytest.mark.parametrize(("text", "message"), EXACT)
def test_the_whole_message(text: str, message: str) -> None:
    with pytest.raises(InvalidUnit) as refused:
        check_unit(text)
    assert str(refused.value) == message


@pytest.mark.parametrize("digit", "0123456789")
def test_every_digit_counts_as_a_digit(digit: str) -> None:
    # digits after a symbol are its exponent, so no second (signed) one may follow
    assert is_ucum(f"m{digit}")
    assert is_ucum(f"m{digit}{{x}}")
    with pytest.raises(InvalidUnit) as refused:
        check_unit(f"m{digit}-1")
    assert str(refused.value) == "position 3: a unit takes only one exponent"
    # a run of digits is a number, and a symbol may not start with one
    assert is_ucum(f"{digit}{digit}/L")
    assert is_ucum(f"m-{digit}")
    with pytest.raises(InvalidUnit, match="^position 1: unit symbol starts with a digit"):
        check_unit(f"{digit}m")


def test_the_first_characters_past_ascii_are_refused_as_such() -> None:
    for text, message in [
        ("", "unit is empty"),
        ("m\x80", "position 2: character U+0080 is not ASCII (UCUM writes micro as 'u')"),
        ("m\x7f", "position 2: whitespace or control character"),
        ("\x20m", "position 1: whitespace or control character"),
    ]:
        with pytest.raises(InvalidUnit) as refused:
            check_unit(text)
        assert str(refused.value) == message
