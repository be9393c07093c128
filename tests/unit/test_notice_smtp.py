"""E-mail notices through a real SMTP server (aiosmtpd, in the test's process)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from eph.devpki import DevPki
from eph.notices import NoticeRefused, NoticeUnreachable, SmtpConfig, SmtpTransport
from eph.notices.texts import email_text
from service_domain.model.notices import NoticeChannel, NoticeKind, OutgoingNotice
from tests.notice_servers import MailServer, TlsMailServer
from tests.support import free_port

ADDRESS = "tolvan.tolvansson@example.se"
NOTICE = OutgoingNotice("ev-0001", NoticeKind.NEW_RESULT, NoticeChannel.EMAIL, ADDRESS)
FROM = "Egen provhantering <no-reply@provhantering.example>"


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def transport(mail: MailServer) -> SmtpTransport:
    mail.mailbox.received.clear()
    mail.mailbox.refuse = False
    return SmtpTransport(SmtpConfig("127.0.0.1", mail.port, sender=FROM, timeout=5))


def sent(mail: MailServer, transport: SmtpTransport) -> EmailMessage:
    transport.send(NOTICE)
    return mail.mailbox.received[-1][2]


def test_the_server_receives_one_message(mail: MailServer, transport: SmtpTransport) -> None:
    transport.send(NOTICE)
    assert len(mail.mailbox.received) == 1


def test_the_envelope_names_the_recipient(mail: MailServer, transport: SmtpTransport) -> None:
    transport.send(NOTICE)
    assert mail.mailbox.received[0][1] == [ADDRESS]


def test_the_envelope_names_the_sender(mail: MailServer, transport: SmtpTransport) -> None:
    transport.send(NOTICE)
    assert mail.mailbox.received[0][0] == "no-reply@provhantering.example"


def test_the_message_id_is_the_event_id(mail: MailServer, transport: SmtpTransport) -> None:
    assert sent(mail, transport)["Message-ID"] == "<ev-0001@provhantering.example>"


def test_a_second_send_has_the_same_message_id(mail: MailServer, transport: SmtpTransport) -> None:
    transport.send(NOTICE)
    transport.send(NOTICE)
    assert len({m["Message-ID"] for _, _, m in mail.mailbox.received}) == 1


def test_the_subject_is_the_kinds(mail: MailServer, transport: SmtpTransport) -> None:
    assert sent(mail, transport)["Subject"] == email_text(NoticeKind.NEW_RESULT).subject


def test_the_body_is_the_kinds(mail: MailServer, transport: SmtpTransport) -> None:
    body = sent(mail, transport).get_content()
    assert body.replace("\r\n", "\n") == email_text(NoticeKind.NEW_RESULT).body


def test_the_to_header_is_the_address(mail: MailServer, transport: SmtpTransport) -> None:
    assert sent(mail, transport)["To"] == ADDRESS


def test_the_message_is_marked_automatic(mail: MailServer, transport: SmtpTransport) -> None:
    assert sent(mail, transport)["Auto-Submitted"] == "auto-generated"


def test_the_message_is_utf8_text(mail: MailServer, transport: SmtpTransport) -> None:
    assert sent(mail, transport).get_content_charset() == "utf-8"


def test_a_refused_recipient_raises(mail: MailServer, transport: SmtpTransport) -> None:
    mail.mailbox.refuse = True
    with pytest.raises(NoticeRefused):
        transport.send(NOTICE)


def test_a_refused_recipient_is_not_named(mail: MailServer, transport: SmtpTransport) -> None:
    mail.mailbox.refuse = True
    with pytest.raises(NoticeRefused) as caught:
        transport.send(NOTICE)
    assert "tolvan" not in str(caught.value)


def test_a_refusal_keeps_no_cause(mail: MailServer, transport: SmtpTransport) -> None:
    mail.mailbox.refuse = True
    with pytest.raises(NoticeRefused) as caught:
        transport.send(NOTICE)
    assert caught.value.__suppress_context__  # raised "from None": smtplib's exception is not kept


def test_a_server_that_does_not_answer_raises() -> None:
    transport = SmtpTransport(SmtpConfig("127.0.0.1", free_port(), timeout=2))
    with pytest.raises(NoticeUnreachable):
        transport.send(NOTICE)


def test_starttls_the_server_does_not_offer_is_refused(mail: MailServer) -> None:
    transport = SmtpTransport(SmtpConfig("127.0.0.1", mail.port, starttls=True, timeout=5))
    with pytest.raises(NoticeRefused):
        transport.send(NOTICE)


def test_nothing_is_sent_without_the_starttls_configured(mail: MailServer) -> None:
    mail.mailbox.received.clear()
    with pytest.raises(NoticeRefused):
        SmtpTransport(SmtpConfig("127.0.0.1", mail.port, starttls=True, timeout=5)).send(NOTICE)
    assert mail.mailbox.received == []


def test_a_login_the_server_does_not_offer_is_refused(mail: MailServer) -> None:
    transport = SmtpTransport(SmtpConfig("127.0.0.1", mail.port, user="eph", password="secret", timeout=5))
    with pytest.raises(NoticeRefused):
        transport.send(NOTICE)


def test_the_settings_are_read_from_the_environment() -> None:
    config = SmtpConfig.from_env({"EPH_NOTICE_SMTP_HOST": "mail.example", "EPH_NOTICE_SMTP_STARTTLS": "1"})
    assert getattr(config, "port", None) == 587


def test_no_host_is_no_email() -> None:
    assert SmtpConfig.from_env({}) is None


def test_the_default_domain_is_invalid() -> None:
    assert SmtpConfig("mail.example").domain == "eph.invalid"


# ------------------------------------------------------------------ STARTTLS and a login


@pytest.fixture(scope="module")
def tls_mail() -> Iterator[TlsMailServer]:
    server = TlsMailServer("eph", "the-password").start()
    yield server
    server.stop()


def over_tls(server: TlsMailServer, password: str = "the-password", ca: str | None = None) -> SmtpTransport:
    server.mailbox.received.clear()
    return SmtpTransport(SmtpConfig("127.0.0.1", server.port, starttls=True, user="eph", password=password,
                                    timeout=5, ca=ca or server.ca))


def test_a_message_goes_over_starttls_with_a_login(tls_mail: TlsMailServer) -> None:
    over_tls(tls_mail).send(NOTICE)
    assert len(tls_mail.mailbox.received) == 1


def test_a_wrong_password_is_refused(tls_mail: TlsMailServer) -> None:
    with pytest.raises(NoticeRefused, match="login"):
        over_tls(tls_mail, password="wrong").send(NOTICE)


def test_a_server_of_another_ca_is_not_trusted(tls_mail: TlsMailServer, tmp_path: Path) -> None:
    other = DevPki(tmp_path / "other")
    other.ensure()
    with pytest.raises(NoticeUnreachable, match="TLS"):
        over_tls(tls_mail, ca=str(other.ca.cert)).send(NOTICE)


def test_without_starttls_the_server_takes_nothing(tls_mail: TlsMailServer) -> None:
    tls_mail.mailbox.received.clear()
    with pytest.raises(NoticeRefused):
        SmtpTransport(SmtpConfig("127.0.0.1", tls_mail.port, timeout=5)).send(NOTICE)
    assert tls_mail.mailbox.received == []


def test_an_address_with_a_line_break_is_refused(transport: SmtpTransport) -> None:
    notice = OutgoingNotice("ev-0009", NoticeKind.NEW_RESULT, NoticeChannel.EMAIL, "a@example.se\r\nBcc: b@example.se")
    with pytest.raises(NoticeRefused, match="header"):
        transport.send(notice)


def test_an_address_with_a_line_break_sends_nothing(mail: MailServer, transport: SmtpTransport) -> None:
    notice = OutgoingNotice("ev-0009", NoticeKind.NEW_RESULT, NoticeChannel.EMAIL, "a@example.se\nBcc: b@example.se")
    with pytest.raises(NoticeRefused):
        transport.send(notice)
    assert mail.mailbox.received == []
