"""E-mail notices through a real SMTP client (``smtplib``) to the configured mail server.

Each notice is one message to one recipient, plain text in UTF-8, with the fixed text of its kind
(``texts``). Its Message-ID is made from the outbox event's id (``<event-id@domain>``, the domain
of the From address), the same at every attempt: a message sent twice by a retry (the server took
it, the answer was lost) can be recognised as the same message.

Settings (``EPH_NOTICE_*``, docs/operations.md "Notices"): ``EPH_NOTICE_SMTP_HOST``,
``EPH_NOTICE_SMTP_PORT`` (25; 587 with STARTTLS), ``EPH_NOTICE_SMTP_STARTTLS`` (off; on: the
connection is upgraded before anything is sent, and refused without it), ``EPH_NOTICE_SMTP_CA`` (the
CA to verify the server by; the system's by default), ``EPH_NOTICE_SMTP_USER`` and
``EPH_NOTICE_SMTP_PASSWORD`` (a login, when both are set), ``EPH_NOTICE_FROM`` and
``EPH_NOTICE_SMTP_TIMEOUT`` (seconds, 30).
"""

from __future__ import annotations

import email.utils
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from service_domain.model.notices import OutgoingNotice

from .errors import NoticeRefused, NoticeUnreachable
from .texts import email_text

DEFAULT_FROM = "Egen provhantering <no-reply@eph.invalid>"
DEFAULT_DOMAIN = "eph.invalid"


def _on(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_FROM
    timeout: float = 30.0
    ca: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpConfig | None:
        """The settings, or None when EPH_NOTICE_SMTP_HOST is not set (no e-mail)."""
        host = (env.get("EPH_NOTICE_SMTP_HOST") or "").strip()
        if not host:
            return None
        starttls = _on(env.get("EPH_NOTICE_SMTP_STARTTLS"))
        return cls(
            host=host,
            port=int(env.get("EPH_NOTICE_SMTP_PORT") or (587 if starttls else 25)),
            starttls=starttls,
            user=env.get("EPH_NOTICE_SMTP_USER") or None,
            password=env.get("EPH_NOTICE_SMTP_PASSWORD") or None,
            sender=env.get("EPH_NOTICE_FROM") or DEFAULT_FROM,
            timeout=float(env.get("EPH_NOTICE_SMTP_TIMEOUT") or 30),
            ca=env.get("EPH_NOTICE_SMTP_CA") or None,
        )

    @property
    def domain(self) -> str:
        """The domain of the From address (Message-IDs are made in it)."""
        address = email.utils.parseaddr(self.sender)[1]
        return address.rpartition("@")[2] or DEFAULT_DOMAIN


def message_id(event_id: str, domain: str) -> str:
    return f"<{event_id}@{domain}>"


class SmtpTransport:
    """Sends an e-mail notice; raises ``NoticeRefused`` or ``NoticeUnreachable`` (whose message
    names the kind of error and the SMTP code, never the address) when the server did not take it."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def message(self, notice: OutgoingNotice) -> EmailMessage:
        text = email_text(notice.kind)
        msg = EmailMessage()
        msg["From"] = self.config.sender
        msg["To"] = notice.address
        msg["Subject"] = text.subject
        msg["Message-ID"] = message_id(notice.event_id, self.config.domain)
        msg["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies
        msg.set_content(text.body, charset="utf-8")
        return msg

    def send(self, notice: OutgoingNotice) -> None:
        config = self.config
        try:
            msg = self.message(notice)
        except (ValueError, TypeError):  # an address the e-mail headers cannot hold (a line break)
            raise NoticeRefused("the address cannot be written in an e-mail header") from None
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                smtp.ehlo()
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=config.ca))
                    smtp.ehlo()
                if config.user and config.password:
                    smtp.login(config.user, config.password)
                smtp.send_message(msg)
        # smtplib's exceptions carry the server's answer and the refused addresses: none is kept
        # (``from None``: not even as the cause in a traceback)
        except smtplib.SMTPRecipientsRefused:
            raise NoticeRefused("the mail server refused the recipient") from None
        except smtplib.SMTPSenderRefused as e:
            raise NoticeRefused(f"the mail server refused the sender (SMTP {e.smtp_code})") from None
        except smtplib.SMTPAuthenticationError as e:
            raise NoticeRefused(f"the mail server refused the login (SMTP {e.smtp_code})") from None
        except smtplib.SMTPNotSupportedError:
            raise NoticeRefused("the mail server does not offer what is needed (STARTTLS, a login or SMTPUTF8)") from None
        except smtplib.SMTPResponseException as e:
            kind = NoticeUnreachable if 400 <= e.smtp_code < 500 else NoticeRefused
            raise kind(f"the mail server answered SMTP {e.smtp_code}") from None
        except smtplib.SMTPServerDisconnected:
            raise NoticeUnreachable("the mail server closed the connection") from None
        except smtplib.SMTPException as e:
            raise NoticeRefused(f"the mail server did not take the message: {type(e).__name__}") from None
        except ssl.SSLError as e:
            raise NoticeUnreachable(f"TLS with the mail server failed: {type(e).__name__}") from None
        except OSError as e:  # refused, unreachable, timed out, name not found
            raise NoticeUnreachable(f"the mail server was not reached: {type(e).__name__}") from None
