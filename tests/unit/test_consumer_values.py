import pytest

from consumers.roles import luhn_digit, person_id


def test_person_ids() -> None:
    assert person_id("19121212-1212") == {"id": "191212121212", "type": "1.2.752.129.2.1.3.1"}
    assert person_id("198503672382")["type"] == "1.2.752.129.2.1.3.3"
    with pytest.raises(ValueError):
        person_id("1212121212")


def test_luhn_digit() -> None:
    assert luhn_digit("121212121") == 2
