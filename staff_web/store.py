"""The staff web's own tables: sessions, failed logins and used uthopp tokens. They live in
the project's database so that every worker of every server process sees the same.

A session's data (the staff member's current patient, the sampling desk's search: identity
numbers) is stored encrypted with a key derived from the cookie's token. The database holds
the token's SHA-256 only, so the table alone, a copy of it or a backup, reads as nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    Column,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from service_domain.persistence.tables import SeqType, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

web_setting = Table(
    "staff_web_setting",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

web_session = Table(
    "staff_web_session",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token; the token is not stored
    Column("data", Text, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("hsa_id", String(31)),
    Index("ix_staff_web_session_last_seen", "last_seen"),
)

login_failure = Table(
    "staff_web_login_failure",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),  # a digest of "account:HSA-ID" or "address:IP"
    Column("time", UTCDateTime, nullable=False),
    Index("ix_staff_web_login_failure_key_time", "key", "time"),
)

used_token = Table(
    "staff_web_used_token",
    metadata,
    Column("issuer", String(31), primary_key=True),
    Column("jti", String(255), primary_key=True),
    Column("expires", UTCDateTime, nullable=False),
)

SECRET_KEY = "secret_key"
MAX_SESSION_BYTES = 64 * 1024


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _data_key(token: str) -> bytes:
    """The key of one session's data, from its token (never stored; the row's id is the token's
    SHA-256, from which this key cannot be had)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"eph staff web session data").derive(
        token.encode()
    )


def seal(token: str, text: str) -> str:
    """``text`` encrypted (AES-256-GCM) for the session of ``token``, bound to its row."""
    nonce = os.urandom(12)
    box = AESGCM(_data_key(token)).encrypt(nonce, text.encode(), digest(token).encode())
    return base64.urlsafe_b64encode(nonce + box).decode("ascii")


def unseal(token: str, stored: str) -> str | None:
    """The text ``seal`` encrypted; None if it was not sealed for this token (or not at all)."""
    try:
        raw = base64.urlsafe_b64decode(stored.encode("ascii"))
        return AESGCM(_data_key(token)).decrypt(raw[:12], raw[12:], digest(token).encode()).decode()
    except (ValueError, binascii.Error, InvalidTag):
        return None


class WebStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._secret: bytes | None = None

    def secret_key(self) -> bytes:
        """The key that signs CSRF tokens (made by the staff web's first migration)."""
        if self._secret is None:
            with self.engine.connect() as conn:
                value = conn.execute(select(web_setting.c.value).where(web_setting.c.name == SECRET_KEY)).scalar()
            if value is None:
                raise RuntimeError("the database has no staff web key: run 'eph db upgrade'")
            self._secret = bytes.fromhex(value)
        return self._secret

    # ------------------------------------------------------------ sessions

    def load_session(self, token: str, now: datetime, idle: timedelta, lifetime: timedelta) -> dict[str, Any] | None:
        key = digest(token)
        with self.engine.connect() as conn:
            row = conn.execute(select(web_session).where(web_session.c.id == key)).first()
        if row is None:
            return None
        if row.last_seen < now - idle or row.created < now - lifetime:
            self.delete_session(token)
            return None
        text = unseal(token, row.data)
        if text is None:
            self.delete_session(token)
            return None
        data = json.loads(text)
        return data if isinstance(data, dict) else None

    def save_session(self, token: str, data: dict[str, Any], now: datetime, hsa_id: str | None) -> None:
        key = digest(token)
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > MAX_SESSION_BYTES:
            raise ValueError("session data too large")
        sealed = seal(token, text)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(web_session).where(web_session.c.id == key).values(data=sealed, last_seen=now, hsa_id=hsa_id)
            )
            if not done.rowcount:
                conn.execute(insert(web_session).values(id=key, data=sealed, created=now, last_seen=now, hsa_id=hsa_id))

    def delete_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_session).where(web_session.c.id == digest(token)))

    def purge(self, now: datetime, idle: timedelta, lifetime: timedelta) -> None:
        """Forget idle sessions, old failed logins and expired token ids."""
        with self.engine.begin() as conn:
            conn.execute(delete(web_session).where((web_session.c.last_seen < now - idle) | (web_session.c.created < now - lifetime)))
            conn.execute(delete(login_failure).where(login_failure.c.time < now - timedelta(days=1)))
            conn.execute(delete(used_token).where(used_token.c.expires < now - timedelta(minutes=10)))

    def forget_sessions(self, last_seen_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` sessions last used before ``last_seen_before``; how many (for
        retention, which runs whether or not anyone uses the staff web)."""
        s = web_session.c
        old = select(s.id).where(s.last_seen < last_seen_before).order_by(s.last_seen).limit(limit)
        with self.engine.begin() as conn:
            return conn.execute(delete(web_session).where(s.id.in_(old.scalar_subquery()))).rowcount or 0

    # ------------------------------------------------------------ failed logins

    def failures(self, key: str, since: datetime) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(login_failure).where(
                        login_failure.c.key == digest(key), login_failure.c.time >= since
                    )
                ).scalar_one()
            )

    def add_failure(self, keys: list[str], now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(login_failure), [{"key": digest(k), "time": now} for k in keys])

    def clear_failures(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failure).where(login_failure.c.key == digest(key)))

    # ------------------------------------------------------------ uthopp tokens

    def use_token(self, issuer: str, jti: str, expires: datetime) -> bool:
        """Record a token id as used; False if it was used before (by any worker)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(used_token).values(issuer=issuer.upper(), jti=jti, expires=expires))
        except IntegrityError:
            return False
        return True



