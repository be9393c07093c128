"""The production profile's rules for the notices' settings."""

from __future__ import annotations

import pytest

from eph import profile

NOTICE_SETTINGS = ("EPH_NOTICE_SMTP_HOST", "EPH_NOTICE_SMTP_USER", "EPH_NOTICE_SMTP_STARTTLS",
                   "EPH_NOTICE_SMS_URL", "EPH_NOTICE_SMS_TOKEN")


@pytest.fixture(autouse=True)
def _no_notice_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NOTICE_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def named(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return [p.split(" ")[0] for p in profile.notice_problems()]


def test_no_notices_no_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch) == []


def test_a_mail_login_without_starttls_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_NOTICE_SMTP_HOST="mail.example", EPH_NOTICE_SMTP_USER="eph") == ["EPH_NOTICE_SMTP_HOST"]


def test_mail_without_starttls_is_named_without_a_login(monkeypatch: pytest.MonkeyPatch) -> None:
    # the addresses are personal data: they too would cross the network in the clear
    assert named(monkeypatch, EPH_NOTICE_SMTP_HOST="mail.example") == ["EPH_NOTICE_SMTP_HOST"]


def test_a_mail_login_over_starttls_is_no_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_NOTICE_SMTP_HOST="mail.example", EPH_NOTICE_SMTP_USER="eph",
                 EPH_NOTICE_SMTP_STARTTLS="1") == []


def test_a_plain_http_gateway_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_NOTICE_SMS_URL="http://gw.example/sms", EPH_NOTICE_SMS_TOKEN="x") == ["EPH_NOTICE_SMS_URL"]


def test_the_stand_ins_token_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert named(monkeypatch, EPH_NOTICE_SMS_URL="https://gw.example/sms",
                 EPH_NOTICE_SMS_TOKEN="eph-sms-dev") == ["EPH_NOTICE_SMS_TOKEN"]


def test_the_token_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    named(monkeypatch, EPH_NOTICE_SMS_URL="http://gw.example/sms", EPH_NOTICE_SMS_TOKEN="very-secret")
    assert "very-secret" not in " ".join(profile.notice_problems())
