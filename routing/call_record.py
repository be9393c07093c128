"""One routed call's log line: a line of JSON of its own, never the message, and the caller's
receiver and contract only as ``routing.redact`` lets them through."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import metrics
from .redact import shown

log = logging.getLogger("eph.vp.call")


def configure_call_log() -> None:
    """Each call's record is a line of JSON of its own (no logging prefix) on standard error."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


@dataclass
class CallRecord:
    """What one call's log line says."""

    correlation_id: str
    # why the caller's own correlation id was replaced by correlation_id (never the id itself)
    correlation_id_replaced: str | None = None
    started: float = field(default_factory=time.perf_counter)
    sender: str | None = None
    original_consumer: str | None = None
    receiver: str | None = None
    contract: str | None = None
    producer_url: str | None = None
    status: int = 0
    vp_code: str | None = None
    producer_ms: float | None = None
    outcome: str = "vp_fault"
    metric_contract: str = metrics.OTHER

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def line(self) -> str:
        return json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "correlationId": self.correlation_id,
                "correlationIdReplaced": self.correlation_id_replaced,
                "sender": shown(self.sender),
                "originalConsumer": shown(self.original_consumer),
                "receiver": shown(self.receiver),
                "contract": shown(self.contract),
                "producerUrl": self.producer_url,
                "httpStatus": self.status,
                "vpCode": self.vp_code,
                "totalMs": round(self.seconds * 1000, 2),
                "producerMs": round(self.producer_ms or 0.0, 2),
            },
            separators=(",", ":"),
        )
