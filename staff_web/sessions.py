"""Server-side sessions: the cookie carries a random token, the database keeps the session
(under the token's digest). Every worker of every staff web process sees the same sessions;
logging out removes the session for good; a session idle longer than the timeout is gone.

A row is written at login only. Before it (the login page's CSRF token) and after logging out
(the message that says so) the session is anonymous and lives in the cookie itself, signed
with the staff web's key: the CSRF token and the messages only (``ANONYMOUS_KEYS``), never a
logged-in member, so that a request without a cookie writes nothing to the database.

The cookie is ``__Host-eph-staff`` (Secure, HttpOnly, SameSite=Lax) on TLS. On plain HTTP
(development on this machine only) it is ``eph-staff-dev`` without Secure.

A session holds only where it began (``where``, kept in its sealed data at login): on the same
listener, told by the connection (the TLS listener's socket, never a header or the cookie's
name), and on the TLS listener with the same client certificate (its SHA-256). A password
login's session holds only while password login is on. A token shown anywhere else is not
logged in; its row is left as it is, so the session goes on where it belongs, and the refusal
is logged without whose it was.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import CallbackDict

from .store import WebStore

SECURE_COOKIE = "__Host-eph-staff"
DEV_COOKIE = "eph-staff-dev"
# what an anonymous session may hold: the login form's CSRF token and flashed messages
ANONYMOUS_KEYS = frozenset({"csrf_token", "_flashes"})
MAX_TOKEN_LENGTH = 128  # a database session's token: secrets.token_urlsafe(32), 43 characters
MAX_COOKIE_LENGTH = 4000
WHERE = "_where"  # the key of a logged-in session's data that says where it began

log = logging.getLogger("eph.staff_web.sessions")


class DbSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.new = token is None
        self.modified = False
        self.rotate = False  # a new token at the next save (after logging in)

    def regenerate(self) -> None:
        self.rotate = True
        self.modified = True


def cookie_name(request: Request) -> str:
    return SECURE_COOKIE if request.is_secure else DEV_COOKIE


def where(request: Request) -> dict[str, str | None]:
    """The listener a request came on and the SHA-256 of the client certificate its connection
    showed. The TLS listener's socket has ``getpeercert``; the plain listener's has not."""
    getpeercert = getattr(request.environ.get("gunicorn.socket"), "getpeercert", None)
    if getpeercert is None:
        return {"listener": "plain", "certificate": None}
    der = getpeercert(binary_form=True)
    return {"listener": "tls", "certificate": hashlib.sha256(der).hexdigest() if der else None}


def mismatch(data: dict[str, Any], now: dict[str, str | None], dev_login: bool) -> str | None:
    """Why a logged-in session's ``data`` does not hold for a request at ``now``; None if it does."""
    began = data.get(WHERE)
    if not isinstance(began, dict):
        return "unbound"  # from before sessions recorded where they began
    if data.get("method") == "dev" and not dev_login:
        return "method"
    if began.get("listener") != now["listener"]:
        return "listener"
    if began.get("certificate") != now["certificate"]:
        return "certificate"
    return None


class DbSessionInterface(SessionInterface):
    def __init__(self, store: WebStore, idle: timedelta, lifetime: timedelta, clock: Callable[[], datetime],
                 *, dev_login: bool = False) -> None:
        self.store = store
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self.dev_login = dev_login  # whether a password login's session holds
        self._saves = 0

    def _signer(self, app: Flask) -> URLSafeSerializer:
        assert app.secret_key
        return URLSafeSerializer(app.secret_key, salt="eph-staff-anonymous-session")

    def _anonymous(self, app: Flask, value: str) -> dict[str, Any] | None:
        """The data of an anonymous session's cookie: signed by this staff web, not idle too
        long, and only what an anonymous session may hold."""
        try:
            payload = self._signer(app).loads(value)
        except BadSignature:
            return None
        if not isinstance(payload, dict):
            return None
        data, seen = payload.get("d"), payload.get("t")
        if not isinstance(data, dict) or not isinstance(seen, int):
            return None
        if seen < (self.clock() - self.idle).timestamp():
            return None
        return {k: v for k, v in data.items() if k in ANONYMOUS_KEYS}

    def open_session(self, app: Flask, request: Request) -> DbSession:
        value = request.cookies.get(cookie_name(request))
        if value and len(value) <= MAX_TOKEN_LENGTH and "." not in value:  # a token has no dot, a signed value has
            data = self.store.load_session(value, self.clock(), self.idle, self.lifetime)
            if data is not None:
                here = where(request)
                reason = mismatch(data, here, self.dev_login)
                if reason is None:
                    return DbSession(data, value)
                # not logged in here; a fresh session (no token) leaves the row alone
                log.warning("session refused reason=%s listener=%s", reason, here["listener"])
        elif value and len(value) <= MAX_COOKIE_LENGTH:
            anonymous = self._anonymous(app, value)
            if anonymous is not None:
                return DbSession(anonymous)
        return DbSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        from flask import request

        assert isinstance(session, DbSession)
        if request.endpoint == "static":
            return
        name = cookie_name(request)
        if not session.get("staff"):
            # not logged in (any more): no row; what little there is goes in the signed cookie
            if session.token is not None:
                self.store.delete_session(session.token)
                session.token = None
            data = {k: v for k, v in session.items() if k in ANONYMOUS_KEYS}
            if data:
                payload = {"d": data, "t": int(self.clock().timestamp())}
                response.set_cookie(
                    name, self._signer(app).dumps(payload), path="/", secure=request.is_secure,
                    httponly=True, samesite="Lax",
                )
                response.headers.add("Vary", "Cookie")
            elif name in request.cookies:
                response.delete_cookie(name, path="/", secure=request.is_secure, httponly=True, samesite="Lax")
            return
        now = self.clock()
        if session.token is None or session.rotate:
            if session.token is not None:
                self.store.delete_session(session.token)
            session.token = secrets.token_urlsafe(32)
            session.rotate = False
            self._saves += 1
            if self._saves % 50 == 1:
                self.store.purge(now, self.idle, self.lifetime)
        # saved on every request: the idle timeout counts from the last one
        self.store.save_session(session.token, dict(session), now, session.get("staff"))
        response.set_cookie(
            name, session.token, path="/", secure=request.is_secure, httponly=True, samesite="Lax"
        )
        response.headers.add("Vary", "Cookie")
