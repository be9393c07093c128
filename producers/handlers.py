"""The handler of each interaction: message in, domain call, message out.

Reads answer bad input with a SOAP Fault (Client); writes answer with ResultType
(VALIDATION_ERROR, or APPLICATION_ERROR with a sub-code). A storage outage is a Server
fault saying the service is temporarily unavailable; anything else unexpected is logged
by type and logId only and answered with a Server fault.

Each interaction is one row of ``HANDLING``: how to turn the request into a command, which
service function runs it, and how its answer becomes the response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from types import SimpleNamespace
from typing import Any

from contracts.interactions import (
    ASSIGN_OFFER,
    CANCEL_ORDER,
    CREATE_ORDER,
    GET_ACCESS_LOG,
    GET_LABORATORY_ORDER_OUTCOME,
    GET_NOTICE_SETTINGS,
    GET_OFFER_CATALOG,
    GET_OFFERS,
    GET_ORDERS,
    GET_RESULTS,
    GET_SAMPLING_SITES,
    PING_FOR_CONFIGURATION,
    REVOKE_OFFER,
    SERVED_INTERACTIONS,
    SET_NOTICE_SETTINGS,
    SET_ORDER_STATUS,
    SET_RESULT,
    Interaction,
)
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation, SubCode
from service_domain.ports import StorageUnavailable, UnitOfWork

from . import mapping, national
from .call import CallRecord
from .faults import CLIENT, SERVER, UNAVAILABLE, SoapFault

log = logging.getLogger("eph.service")

try:
    SERVICE_VERSION = version("eph")
except PackageNotFoundError:  # running from a source tree
    SERVICE_VERSION = "0+unknown"

Values = dict[str, Any]


@dataclass(frozen=True)
class Handling:
    """How one interaction is handled: the request becomes a command, a service function runs
    it, and its answer becomes the response values. Whether the interaction is a read (bad
    input is a fault) or a write (answered with ResultType) is the interaction's own
    ``write`` flag, the one source of it."""

    command: Callable[..., Any]
    service: Callable[..., Any]
    response: Callable[[Any], Values] = lambda _: {}
    with_address: bool = False  # the command also takes the service's logical address (its HSA-id)


HANDLING: dict[Interaction, Handling] = {
    GET_OFFER_CATALOG: Handling(
        mapping.get_offer_catalog,
        services.get_offer_catalog,
        lambda defs: {"offerDefinition": [mapping.definition_out(d) for d in defs]},
    ),
    GET_OFFERS: Handling(
        mapping.get_offers, services.get_offers, lambda offers: {"offer": [mapping.offer_out(o) for o in offers]}
    ),
    GET_ORDERS: Handling(
        mapping.get_orders,
        services.get_orders,
        lambda page: {
            "order": [mapping.order_out(o) for o in page.orders],
            "continuationToken": page.continuation_token,
        },
    ),
    GET_RESULTS: Handling(
        mapping.get_results,
        services.get_results,
        lambda views: {"orderResult": [mapping.order_result_out(v) for v in views]},
    ),
    ASSIGN_OFFER: Handling(mapping.assign_offer, services.assign_offer, lambda o: {"offerId": o.offer_id}),
    REVOKE_OFFER: Handling(mapping.revoke_offer, services.revoke_offer),
    CREATE_ORDER: Handling(
        mapping.create_order,
        services.create_order,
        lambda o: {"orderId": o.order_id, "referralId": o.referral_id, "offerId": o.offer_id},
    ),
    SET_ORDER_STATUS: Handling(mapping.set_order_status, services.set_order_status),
    CANCEL_ORDER: Handling(mapping.cancel_order, services.cancel_order),
    SET_RESULT: Handling(mapping.set_result, services.set_result),
    GET_SAMPLING_SITES: Handling(
        mapping.get_sampling_sites,
        services.get_sampling_sites,
        lambda sites: {"samplingSite": [mapping.sampling_site_out(s) for s in sites]},
    ),
    GET_ACCESS_LOG: Handling(
        mapping.get_access_log,
        services.get_access_log,
        lambda page: {
            "accessLogEntry": [mapping.access_log_entry_out(e) for e in page.entries],
            "continuationToken": page.continuation_token,
        },
    ),
    GET_NOTICE_SETTINGS: Handling(
        mapping.get_notice_settings,
        services.get_notice_settings,
        lambda settings: {"noticeSettings": mapping.notice_settings_out(settings)},
    ),
    SET_NOTICE_SETTINGS: Handling(mapping.set_notice_settings, services.set_notice_settings),
    GET_LABORATORY_ORDER_OUTCOME: Handling(
        national.get_laboratory_order_outcome,
        services.get_laboratory_order_outcome,
        national.laboratory_order_outcomes_out,
        with_address=True,
    ),
}


class Handlers:
    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Callable[[], datetime] = utcnow, logical_address: str = ""
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.logical_address = logical_address
        unhandled = [i.name for i in SERVED_INTERACTIONS if i not in HANDLING and i is not PING_FOR_CONFIGURATION]
        if unhandled:  # at start, not on the first call
            raise RuntimeError(f"no handler for {', '.join(unhandled)}")

    def handle(self, record: CallRecord, request: SimpleNamespace) -> Values:
        """The response values of one call; raises SoapFault for a fault."""
        interaction = record.interaction
        try:
            if interaction is PING_FOR_CONFIGURATION:
                return self._ping(record)
            handling = HANDLING[interaction]
            if interaction.write:
                return self._write(handling, record, request)
            return self._read(handling, record, request)
        except StorageUnavailable:
            log.warning("storage unavailable in %s logId=%s", interaction.name, record.log_id)
            record.outcome = "Unavailable"
            raise SoapFault(SERVER, UNAVAILABLE) from None
        except SoapFault:
            raise
        except Exception as e:
            # the exception's text may quote data: only its type reaches the log
            log.error("internal error %s in %s logId=%s", type(e).__name__, interaction.name, record.log_id)
            record.outcome = SERVER
            raise SoapFault(SERVER, "internal error") from None

    def _context(self, record: CallRecord) -> CallContext:
        return CallContext(
            log_id=record.log_id,
            consumer=record.consumer,
            sender=record.sender,
            now=self.clock(),
        )

    def _read(self, read: Handling, record: CallRecord, request: SimpleNamespace) -> Values:
        try:
            command = read.command(request, self.logical_address) if read.with_address else read.command(request)
            answer = read.service(self.uow(), self._context(record), command)
        except (InvalidRequest, CallerRefused) as e:
            record.outcome = CLIENT
            raise SoapFault(CLIENT, e.message) from None
        record.outcome = "OK"
        return read.response(answer)

    def _write(self, write: Handling, record: CallRecord, request: SimpleNamespace) -> Values:
        try:
            outcome = write.service(self.uow(), self._context(record), write.command(request))
        except InvalidRequest as e:
            return self._refused(record, "VALIDATION_ERROR", e.message)
        except RuleViolation as e:
            return self._refused(record, "APPLICATION_ERROR", e.message, e.sub_code)
        except CallerRefused as e:
            return self._refused(record, "APPLICATION_ERROR", e.message, SubCode.NOT_PERMITTED)
        code = "INFO" if outcome.info else "OK"
        record.outcome = code
        return {"result": mapping.result_type(record.log_id, code=code, message=outcome.message), **write.response(outcome)}

    @staticmethod
    def _refused(record: CallRecord, error: str, message: str, sub_code: SubCode | None = None) -> Values:
        record.outcome = sub_code.value if sub_code else error
        return {
            "result": mapping.result_type(
                record.log_id, code="ERROR", error=error, sub_code=sub_code.value if sub_code else None, message=message
            )
        }

    def _ping(self, record: CallRecord) -> Values:
        storage = services.ping(self.uow())
        record.outcome = "OK"
        return {
            "version": SERVICE_VERSION,
            "pingDateTime": mapping.ts(self.clock()),
            "configuration": [
                {"name": "logicalAddress", "value": self.logical_address},
                {"name": "database", "value": storage},
            ],
        }
