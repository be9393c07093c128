"""The login session: an encrypted, signed cookie (Fernet) that holds the authenticated
personnummer and nothing else of the patient's; no data from the service is kept in it.

The cookie also carries a random session id (the CSRF token is derived from it) and the login
time. It is renewed on every request: it lapses after ``idle`` without one, and at the latest
``lifetime`` after logging in. Without a session key in the settings, each server start makes
one, so logging out everyone is a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

SECURE_COOKIE = "__Host-eph-1177"
DEV_COOKIE = "eph-1177-dev"


@dataclass
class Session:
    sid: str
    personnummer: str | None = None
    logged_in_at: int = 0
    fresh: bool = False  # made by this request: the cookie must be set

    @property
    def authenticated(self) -> bool:
        return self.personnummer is not None


class SessionCodec:
    def __init__(self, key: str | bytes, idle_seconds: int, lifetime_seconds: int) -> None:
        self.fernet = Fernet(key)
        self.idle = idle_seconds
        self.lifetime = lifetime_seconds
        raw = key.encode() if isinstance(key, str) else key
        self._csrf_key = hashlib.sha256(b"csrf:" + raw).digest()

    def new(self, personnummer: str | None = None) -> Session:
        return Session(secrets.token_urlsafe(18), personnummer, int(time.time()) if personnummer else 0, fresh=True)

    def load(self, cookie: str | None) -> Session | None:
        if not cookie or len(cookie) > 1024:
            return None
        try:
            data = json.loads(self.fernet.decrypt(cookie.encode("ascii"), ttl=self.idle))
        except (InvalidToken, ValueError, UnicodeEncodeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            return None
        pnr = data.get("pnr")
        at = int(data.get("at") or 0)
        if pnr is not None and (not isinstance(pnr, str) or time.time() - at > self.lifetime):
            return None
        return Session(data["sid"], pnr, at)

    def dump(self, session: Session) -> str:
        body: dict[str, str | int] = {"sid": session.sid}
        if session.personnummer:
            body.update(pnr=session.personnummer, at=session.logged_in_at)
        return self.fernet.encrypt(json.dumps(body).encode()).decode("ascii")

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._csrf_key, session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token or "")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
