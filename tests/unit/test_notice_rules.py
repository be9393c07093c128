"""The notice rules of the model: addresses checked and normalised, the settings keep only the
address their channel needs, and the rate limit folds what comes too often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service_domain.errors import InvalidRequest
from service_domain.identity import PersonId
from service_domain.model import NoticeChannel, NoticeKind, NoticePolicy, NoticeSettings, SentNotice
from service_domain.model.notices import email_address, mobile_number

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PATIENT = PersonId("198503172382")


@pytest.mark.parametrize("written", ["0701234567", "070-123 45 67", "+46701234567", "+46 70 123 45 67",
                                     "0046701234567", "(070) 123 45 67"])
def test_a_swedish_mobile_number_becomes_e164(written: str) -> None:
    assert mobile_number(written) == "+46701234567"


@pytest.mark.parametrize("series", ["070", "072", "073", "076", "079"])
def test_every_mobile_series_is_taken(series: str) -> None:
    assert mobile_number(f"{series}1234567") == f"+46{series[1:]}1234567"


@pytest.mark.parametrize("written", ["081234567", "0741234567", "+4581234567", "070123456", "07012345678",
                                     "+460701234567", ""])
def test_other_numbers_are_refused(written: str) -> None:
    with pytest.raises(InvalidRequest, match="^mobileNumber "):
        mobile_number(written)


def test_an_e_mail_address_keeps_its_local_part_and_lowers_its_domain() -> None:
    assert email_address("  Tolvan.Tolvansson@Example.SE ") == "Tolvan.Tolvansson@example.se"


@pytest.mark.parametrize("written", ["tolvan", "tolvan@", "@example.se", "tolvan@example", "to..lvan@example.se",
                                     "tolvan.@example.se", "tol van@example.se", "a@" + "b" * 250 + ".se",
                                     "tolvan@example.se\nBcc: x@example.se"])
def test_bad_e_mail_addresses_are_refused(written: str) -> None:
    with pytest.raises(InvalidRequest, match="^emailAddress "):
        email_address(written)


def test_sms_settings_keep_no_e_mail_address() -> None:
    s = NoticeSettings.chosen(PATIENT, NoticeChannel.SMS, "tolvan@example.se", "0701234567", NOW)
    assert (s.email, s.mobile) == (None, "+46701234567")


def test_e_mail_settings_keep_no_number() -> None:
    s = NoticeSettings.chosen(PATIENT, NoticeChannel.EMAIL, "tolvan@example.se", "0701234567", NOW)
    assert (s.email, s.mobile) == ("tolvan@example.se", None)


def test_no_notices_have_no_address() -> None:
    assert NoticeSettings.chosen(PATIENT, NoticeChannel.NONE, "tolvan@example.se", None, NOW).address is None


def test_sms_without_a_number_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="^mobileNumber is required"):
        NoticeSettings.chosen(PATIENT, NoticeChannel.SMS, "tolvan@example.se", None, NOW)


def sent(kind: NoticeKind, minutes_ago: float) -> SentNotice:
    return SentNotice(kind, NOW - timedelta(minutes=minutes_ago))


def test_the_first_notice_goes_out() -> None:
    assert NoticePolicy().allows(NoticeKind.NEW_RESULT, [], NOW)


def test_one_of_a_kind_within_the_hour_is_folded() -> None:
    assert not NoticePolicy().allows(NoticeKind.NEW_RESULT, [sent(NoticeKind.NEW_RESULT, 59)], NOW)


def test_one_of_a_kind_an_hour_later_goes_out() -> None:
    assert NoticePolicy().allows(NoticeKind.NEW_RESULT, [sent(NoticeKind.NEW_RESULT, 60)], NOW)


def test_another_kind_within_the_hour_goes_out() -> None:
    assert NoticePolicy().allows(NoticeKind.KIT_SENT, [sent(NoticeKind.NEW_RESULT, 1)], NOW)


def test_the_fifth_in_a_day_is_folded() -> None:
    earlier = [sent(NoticeKind.NEW_RESULT, 60 * h + 61) for h in range(4)]
    assert not NoticePolicy().allows(NoticeKind.NEW_RESULT, earlier, NOW)


def test_notices_older_than_a_day_do_not_count() -> None:
    earlier = [sent(NoticeKind.NEW_RESULT, 24 * 60 + m) for m in range(4)]
    assert NoticePolicy().allows(NoticeKind.NEW_RESULT, earlier, NOW)
