"""The handler of each interaction: message in, domain call, message out.

Reads answer bad input with a SOAP Fault (Client); writes answer with ResultType
(VALIDATION_ERROR, or APPLICATION_ERROR with a sub-code). Anything unexpected is
logged by type and logId only and answered with a Server fault.

Each interaction is one row of ``READS`` or ``WRITES``: how to turn the request into a
command, which service function runs it, and how its answer becomes the response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

from sqlalchemy import text

from contracts.interactions import PING_FOR_CONFIGURATION, Interaction
from contracts.models import message_types
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.persistence.database import Database
from service_domain.services import WriteOutcome

from . import mapping
from .faults import fault

log = logging.getLogger("eph.producer")

try:
    SERVICE_VERSION = version("eph")
except PackageNotFoundError:  # running from a source tree
    SERVICE_VERSION = "0+unknown"

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Read:
    command: Callable[[Any], Any]
    service: Callable[..., Any]
    response: Callable[[mapping.Out, Any], dict[str, Any]]


@dataclass(frozen=True)
class Write:
    command: Callable[[Any], Any]
    service: Callable[..., WriteOutcome]
    ids: Callable[[WriteOutcome], dict[str, Any]] = lambda _: {}


READS: dict[str, Read] = {
    "GetOfferCatalog": Read(
        mapping.get_offer_catalog,
        services.get_offer_catalog,
        lambda out, defs: {"offerDefinition": [out.definition(d) for d in defs]},
    ),
    "GetOffers": Read(
        mapping.get_offers, services.get_offers, lambda out, offers: {"offer": [out.offer(o) for o in offers]}
    ),
    "GetOrders": Read(
        mapping.get_orders,
        services.get_orders,
        lambda out, page: {"order": [out.order(o) for o in page.orders], "continuationToken": page.continuation_token},
    ),
    "GetResults": Read(
        mapping.get_results,
        services.get_results,
        lambda out, views: {"orderResult": [out.order_result(v) for v in views]},
    ),
}

WRITES: dict[str, Write] = {
    "AssignOffer": Write(mapping.assign_offer, services.assign_offer, lambda o: {"offerId": o.offer_id}),
    "RevokeOffer": Write(mapping.revoke_offer, services.revoke_offer),
    "CreateOrder": Write(
        mapping.create_order,
        services.create_order,
        lambda o: {"orderId": o.order_id, "referralId": o.referral_id},
    ),
    "SetOrderStatus": Write(mapping.set_order_status, services.set_order_status),
    "CancelOrder": Write(mapping.cancel_order, services.cancel_order),
    "SetResult": Write(mapping.set_result, services.set_result),
}


class Call:
    """What a handler knows about the HTTP call: set by the WSGI layer in the environ."""

    def __init__(self, environ: dict[str, Any], interaction: Interaction, now: datetime) -> None:
        self.environ = environ
        self.log_id: str = environ["eph.log_id"]
        self.context = CallContext(
            interaction=interaction.name,
            log_id=self.log_id,
            consumer=environ.get("eph.consumer"),
            sender=environ.get("eph.sender"),
            now=now,
        )

    def outcome(self, value: str) -> None:
        self.environ["eph.outcome"] = value

    def unexpected(self, e: Exception) -> NoReturn:
        # The exception's text may quote data; only its type goes to the log.
        log.error("internal error %s in %s logId=%s", type(e).__name__, self.context.interaction, self.log_id)
        self.outcome("Server")
        raise fault("Server", "internal error", self.log_id) from None


class Handlers:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow, logical_address: str = "") -> None:
        self.db = db
        self.clock = clock
        self.logical_address = logical_address

    def handler(self, interaction: Interaction) -> Handler:
        if interaction.name in READS:
            return self._reader(interaction, READS[interaction.name])
        if interaction.name in WRITES:
            return self._writer(interaction, WRITES[interaction.name])
        if interaction is PING_FOR_CONFIGURATION:
            return self._ping
        raise KeyError(interaction.name)

    def _reader(self, interaction: Interaction, read: Read) -> Handler:
        out = mapping.Out(message_types(interaction))

        def handle(ctx: Any, request: Any) -> Any:
            call = Call(ctx.transport.req_env, interaction, self.clock())
            try:
                answer = read.service(self.db.uow(), call.context, read.command(request))
            except (InvalidRequest, CallerRefused) as e:
                call.outcome("Client")
                raise fault("Client", e.message, call.log_id) from None
            except Exception as e:
                call.unexpected(e)
            call.outcome("OK")
            return out.t.response(**read.response(out, answer))

        return handle

    def _writer(self, interaction: Interaction, write: Write) -> Handler:
        out = mapping.Out(message_types(interaction))

        def refused(call: Call, error: str, message: str, sub_code: SubCode | None = None) -> Any:
            call.outcome(sub_code.value if sub_code else error)
            return out.t.response(
                result=out.result_type(
                    call.log_id,
                    code="ERROR",
                    error=error,
                    sub_code=sub_code.value if sub_code else None,
                    message=message,
                )
            )

        def handle(ctx: Any, request: Any) -> Any:
            call = Call(ctx.transport.req_env, interaction, self.clock())
            try:
                outcome = write.service(self.db.uow(), call.context, write.command(request))
            except InvalidRequest as e:
                return refused(call, "VALIDATION_ERROR", e.message)
            except RuleViolation as e:
                return refused(call, "APPLICATION_ERROR", e.message, e.sub_code)
            except CallerRefused as e:
                return refused(call, "APPLICATION_ERROR", e.message, SubCode.NOT_PERMITTED)
            except Exception as e:
                call.unexpected(e)
            code = "INFO" if outcome.info else "OK"
            call.outcome(code)
            return out.t.response(
                result=out.result_type(call.log_id, code=code, message=outcome.message), **write.ids(outcome)
            )

        return handle

    def _ping(self, ctx: Any, request: Any) -> Any:
        call = Call(ctx.transport.req_env, PING_FOR_CONFIGURATION, self.clock())
        types = message_types(PING_FOR_CONFIGURATION)
        try:
            with self.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as e:
            call.unexpected(e)
        call.outcome("OK")
        cfg = types["ConfigurationType"]
        return types.response(
            version=SERVICE_VERSION,
            pingDateTime=mapping.ts(call.context.now),
            configuration=[
                cfg(name="logicalAddress", value=self.logical_address),
                cfg(name="database", value=self.db.engine.dialect.name),
            ],
        )

