"""What every view needs: the database, a call context naming the staff member, and the way
the service layer's answers become pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, flash, g
from flask_wtf.csrf import CSRFProtect

from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, DomainError, InvalidRequest, RuleViolation, SubCode
from service_domain.model import Actor, ActorKind
from service_domain.persistence.database import Database
from service_domain.ports import PopulationRegister, UnitOfWork
from service_domain.staff import StaffActing

from .auth import Throttle
from .config import StaffWebConfig
from .messages import swedish
from .store import WebStore

T = TypeVar("T")

# The CSRF protection of every form; the app installs it, a view may exempt itself.
csrf = CSRFProtect()


@dataclass(frozen=True)
class Env:
    db: Database
    config: StaffWebConfig
    store: WebStore
    clock: Callable[[], datetime]
    throttle: Throttle
    # the population register, for the log review's namesake check (None: not connected)
    register: PopulationRegister | None = None


def env() -> Env:
    value = current_app.extensions["eph"]
    assert isinstance(value, Env)
    return value


def uow() -> UnitOfWork:
    return env().db.uow()


def now() -> datetime:
    return env().clock()


def ctx() -> CallContext:
    """A call as the staff web, for the member logged in, at the care unit they act at. Every
    call of one request shares its log id: the request is one event in the patient's access log
    (the order a save reads first folds into the save)."""
    assert g.member is not None and g.unit is not None
    if "log_id" not in g:
        g.log_id = str(uuid.uuid4())
    return CallContext(
        log_id=g.log_id,
        consumer=env().config.hsa_id,
        now=now(),
        staff=StaffActing(g.member.hsa_id, g.unit),
    )


def me() -> Actor:
    return Actor(ActorKind.STAFF, g.member.hsa_id, g.member.name)


def read(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A read: an unknown id is 404, a refusal 403, bad input 400 (as Swedish error pages)."""
    try:
        return call(*args, **kwargs)
    except DomainError as e:
        refuse_page(e)


def refuse_page(e: DomainError) -> NoReturn:
    if isinstance(e, CallerRefused) or (isinstance(e, RuleViolation) and e.sub_code is SubCode.NOT_PERMITTED):
        abort(403)
    if isinstance(e, RuleViolation) and e.sub_code is SubCode.UNKNOWN_ID:
        abort(404)
    if isinstance(e, InvalidRequest):
        abort(400)
    abort(409)


def write(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """A write: a refusal becomes a message on the page it returns to; None then."""
    try:
        return call(*args, **kwargs)
    except CallerRefused:
        abort(403)
    except DomainError as e:
        flash(swedish(e), "error")
        return None
