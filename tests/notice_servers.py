"""Servers for the notice tests, in the test's own process: a real SMTP server (aiosmtpd) that
keeps what it receives, and the SMS gateway stand-in's application over real HTTP (werkzeug)."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

from consumers.sms_gateway.app import Inbox, create_app
from consumers.sms_gateway.config import SmsGatewayStandInConfig
from tests.support import free_port

GATEWAY_TOKEN = "test-sms-token"


class Mailbox:
    """aiosmtpd's handler: keeps each message with its envelope; refuses recipients while
    ``refuse`` is set."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.refuse:
            return f"550 5.1.1 <{address}>: no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> MailServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class GatewayServer:
    """The stand-in's application on a free port, served by a thread."""

    def __init__(self, token: str = GATEWAY_TOKEN) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        app = create_app(SmsGatewayStandInConfig(bind=f"127.0.0.1:{self.port}", token=token), self.inbox)
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def start(self) -> GatewayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()


class Logins:
    """aiosmtpd's authenticator: one user and password."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (self.user, self.password)
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself


class TlsMailServer(MailServer):
    """A mail server that requires STARTTLS (a certificate of the test session's development CA)
    and a login over it."""

    def __init__(self, user: str, password: str) -> None:
        import ssl

        from tests.support import session_pki

        self.mailbox = Mailbox()
        self.port = free_port()
        self.pki = session_pki()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.pki.service.cert), str(self.pki.service.key))
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True, authenticator=Logins(user, password),
                                     auth_require_tls=True)

    @property
    def ca(self) -> str:
        return str(self.pki.ca.cert)
