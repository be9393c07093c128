"""Who is logged in, and how they got in: card (client certificate), uthopp (a journal
system's signed token) or, for development only, a password. Failed logins are counted in
the database, so the limit holds across every worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, redirect, request, session, url_for

from service_domain.staff import StaffFunction, StaffMember

from .sessions import WHERE, DbSession, where

_hasher = PasswordHasher()
# verified against when the account has no password, so that an unknown account takes as long
_NO_PASSWORD = _hasher.hash("no password is set for this account")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _NO_PASSWORD, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Throttle:
    """At most ``per_account`` failed logins per account and ``per_address`` per client
    address within ``window``; past that, logins are refused until the window has moved on."""

    per_account: int
    per_address: int
    window: timedelta

    def keys(self, account: str, address: str) -> tuple[str, str]:
        return f"account:{account.upper()}", f"address:{address}"

    def blocked(self, store: Any, account: str, address: str, now: Any) -> bool:
        acc, addr = self.keys(account, address)
        since = now - self.window
        return store.failures(acc, since) >= self.per_account or store.failures(addr, since) >= self.per_address

    def failed(self, store: Any, account: str, address: str, now: Any) -> None:
        store.add_failure(list(self.keys(account, address)), now)

    def succeeded(self, store: Any, account: str) -> None:
        store.clear_failures(self.keys(account, "")[0])


def log_in(member: StaffMember, method: str, care_unit: str | None = None) -> None:
    """Start a new session (a new token: no fixation) for the member, valid only on this
    request's listener and, on TLS, with this request's client certificate."""
    assert isinstance(session, DbSession)
    session.clear()
    session.regenerate()
    session["staff"] = member.hsa_id
    session["method"] = method
    session[WHERE] = where(request)
    units = member.care_units
    if care_unit is not None and member.works_at(care_unit):
        session["unit"] = next(u for u in units if u.upper() == care_unit.upper())
    elif len(units) == 1:
        session["unit"] = units[0]


def log_out() -> None:
    assert isinstance(session, DbSession)
    session.clear()
    session.regenerate()


F = TypeVar("F", bound=Callable[..., Any])


def safe_next(target: str | None) -> str | None:
    r"""``target`` when it is a path of this site, else None: it starts with one slash and holds no
    backslash and no control or other unprintable character. Browsers drop tabs and newlines from an
    address and read a backslash as a slash, so "/\t/host" and "/\host" would name another host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or not target.isprintable():
        return None
    return target


def requires(*functions: StaffFunction) -> Callable[[F], F]:
    """The view needs a logged-in member acting at a care unit, holding one of ``functions``
    there (any function when none are named). The service layer checks again."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.member is None:
                return redirect(url_for("login.login_page", next=request.path))
            if g.unit is None:
                return redirect(url_for("home.start"))
            if functions and not g.member.may(g.unit, *functions):
                abort(403)
            if not functions and not g.member.functions_at(g.unit):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
