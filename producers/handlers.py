"""One handler per interaction: message in, domain call, message out.

Reads answer bad input with a SOAP Fault (Client); writes answer with ResultType
(VALIDATION_ERROR, or APPLICATION_ERROR with a sub-code). Anything unexpected is
logged by type and logId only and answered with a Server fault.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import text

from contracts.interactions import BY_NAME, Interaction
from contracts.models import message_types
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext, SetResult
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.model import SamplingMode
from service_domain.persistence.database import Database

from . import mapping
from .faults import fault

log = logging.getLogger("eph.producer")

try:
    SERVICE_VERSION = version("eph")
except PackageNotFoundError:  # running from a source tree
    SERVICE_VERSION = "0+unknown"


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


class Handlers:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow, logical_address: str = "") -> None:
        self.db = db
        self.clock = clock
        self.logical_address = logical_address

    # ------------------------------------------------------------ plumbing

    def _call(self, ctx: Any, interaction: Interaction) -> Call:
        return Call(ctx.transport.req_env, interaction, self.clock())

    def _read(self, call: Call, work: Callable[[], Any]) -> Any:
        try:
            response = work()
        except (InvalidRequest, CallerRefused) as e:
            call.outcome("Client")
            raise fault("Client", e.message, call.log_id) from None
        except Exception as e:
            self._unexpected(call, e)
        call.outcome("OK")
        return response

    def _write(self, call: Call, out: mapping.Out, work: Callable[[], services.WriteOutcome]) -> tuple[Any, services.WriteOutcome | None]:
        try:
            outcome = work()
        except InvalidRequest as e:
            call.outcome("VALIDATION_ERROR")
            return out.result_type(call.log_id, code="ERROR", error="VALIDATION_ERROR", message=e.message), None
        except RuleViolation as e:
            call.outcome(e.sub_code.value)
            return out.result_type(
                call.log_id, code="ERROR", error="APPLICATION_ERROR", sub_code=e.sub_code.value, message=e.message
            ), None
        except CallerRefused as e:
            call.outcome(SubCode.NOT_PERMITTED.value)
            return out.result_type(
                call.log_id,
                code="ERROR",
                error="APPLICATION_ERROR",
                sub_code=SubCode.NOT_PERMITTED.value,
                message=e.message,
            ), None
        except Exception as e:
            self._unexpected(call, e)
        call.outcome("INFO" if outcome.info else "OK")
        return out.result_type(call.log_id, code="INFO" if outcome.info else "OK", message=outcome.message), outcome

    def _unexpected(self, call: Call, e: Exception) -> None:
        # The exception's text may quote data; only its type goes to the log.
        log.error("internal error %s in %s logId=%s", type(e).__name__, call.context.interaction, call.log_id)
        call.outcome("Server")
        raise fault("Server", "internal error", call.log_id) from None

    # ------------------------------------------------------------ reads

    def GetOfferCatalog(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["GetOfferCatalog"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        mode = SamplingMode(request.samplingMode) if request.samplingMode else None
        defs = self._read(
            call, lambda: services.get_offer_catalog(self.db.uow(), call.context, request.careGiverHSAId, mode)
        )
        return out.t.response(offerDefinition=[out.definition(d) for d in defs])

    def GetOffers(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["GetOffers"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        offers = self._read(
            call, lambda: services.get_offers(self.db.uow(), call.context, mapping.get_offers(request))
        )
        return out.t.response(offer=[out.offer(o) for o in offers])

    def GetOrders(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["GetOrders"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        page = self._read(
            call, lambda: services.get_orders(self.db.uow(), call.context, mapping.get_orders(request))
        )
        return out.t.response(order=[out.order(o) for o in page.orders], continuationToken=page.continuation_token)

    def GetResults(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["GetResults"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        views = self._read(
            call, lambda: services.get_results(self.db.uow(), call.context, mapping.get_results(request))
        )
        return out.t.response(orderResult=[out.order_result(v) for v in views])

    def PingForConfiguration(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["PingForConfiguration"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))

        def ping() -> str:
            with self.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return self.db.engine.dialect.name

        backend = self._read(call, ping)
        cfg = out.t["ConfigurationType"]
        return out.t.response(
            version=SERVICE_VERSION,
            pingDateTime=mapping.ts(call.context.now),
            configuration=[
                cfg(name="logicalAddress", value=self.logical_address),
                cfg(name="database", value=backend),
            ],
        )

    # ------------------------------------------------------------ writes

    def AssignOffer(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["AssignOffer"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        result, outcome = self._write(
            call, out, lambda: services.assign_offer(self.db.uow(), call.context, mapping.assign_offer(request))
        )
        return out.t.response(result=result, offerId=outcome.offer_id if outcome else None)

    def RevokeOffer(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["RevokeOffer"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        result, _ = self._write(
            call, out, lambda: services.revoke_offer(self.db.uow(), call.context, mapping.revoke_offer(request))
        )
        return out.t.response(result=result)

    def CreateOrder(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["CreateOrder"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        result, outcome = self._write(
            call, out, lambda: services.create_order(self.db.uow(), call.context, mapping.create_order(request))
        )
        return out.t.response(
            result=result,
            orderId=outcome.order_id if outcome else None,
            referralId=outcome.referral_id if outcome else None,
        )

    def SetOrderStatus(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["SetOrderStatus"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        result, _ = self._write(
            call,
            out,
            lambda: services.set_order_status(self.db.uow(), call.context, mapping.set_order_status(request)),
        )
        return out.t.response(result=result)

    def CancelOrder(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["CancelOrder"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        result, _ = self._write(
            call, out, lambda: services.cancel_order(self.db.uow(), call.context, mapping.cancel_order(request))
        )
        return out.t.response(result=result)

    def SetResult(self, ctx: Any, request: Any) -> Any:
        i = BY_NAME["SetResult"]
        call, out = self._call(ctx, i), mapping.Out(message_types(i))
        result, _ = self._write(
            call,
            out,
            lambda: services.set_result(
                self.db.uow(), call.context, SetResult(mapping.laboratory_result(request.laboratoryResult))
            ),
        )
        return out.t.response(result=result)
