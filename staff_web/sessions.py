"""Server-side sessions: the cookie carries a random token, the database keeps the session
(under the token's digest). Every worker of every staff web process sees the same sessions;
logging out removes the session for good; a session idle longer than the timeout is gone.

The cookie is ``__Host-eph-staff`` (Secure, HttpOnly, SameSite=Lax) on TLS. On plain HTTP
(development on this machine only) it is ``eph-staff-dev`` without Secure, and a session
begun there is not the one a TLS request uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from .store import WebStore

SECURE_COOKIE = "__Host-eph-staff"
DEV_COOKIE = "eph-staff-dev"


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


class DbSessionInterface(SessionInterface):
    def __init__(self, store: WebStore, idle: timedelta, lifetime: timedelta, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self._saves = 0

    def open_session(self, app: Flask, request: Request) -> DbSession:
        token = request.cookies.get(cookie_name(request))
        if token and len(token) <= 128:
            data = self.store.load_session(token, self.clock(), self.idle, self.lifetime)
            if data is not None:
                return DbSession(data, token)
        return DbSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        from flask import request

        assert isinstance(session, DbSession)
        if request.endpoint == "static":
            return
        name = cookie_name(request)
        if not session:
            if session.token is not None:
                self.store.delete_session(session.token)
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
