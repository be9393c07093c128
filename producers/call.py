"""What the service knows about one call, and the log line it writes for it."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from contracts.interactions import Interaction

log = logging.getLogger("eph.service.call")

# header values that reach the log are bounded and printable (they come from the caller)
_MAX_ECHO = 64


def _safe(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > _MAX_ECHO or not value.isprintable():
        return "(unreadable)"
    return value


@dataclass(slots=True)
class CallRecord:
    """One SOAP call: set by the HTTP layer and the handler, written as one JSON log line."""

    interaction: Interaction
    log_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.perf_counter)
    correlation_id: str | None = None
    platform: str | None = None  # the authenticated platform (its certificate's SERIALNUMBER)
    sender: str | None = None  # x-vp-sender-id, as the platform passed it
    consumer: str | None = None  # x-rivta-original-serviceconsumer-hsaid
    outcome: str = "-"  # OK, INFO, VALIDATION_ERROR, EPH00x, or a fault code
    status: int = 0

    def set_headers(self, correlation_id: str | None, sender: str | None, consumer: str | None) -> None:
        self.correlation_id = _safe(correlation_id)
        self.sender = _safe(sender)
        self.consumer = consumer.strip() if consumer else None

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def line(self) -> str:
        return json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "logId": self.log_id,
                "correlationId": self.correlation_id,
                "interaction": self.interaction.name,
                "platform": self.platform,
                "sender": self.sender,
                "consumer": _safe(self.consumer),
                "httpStatus": self.status,
                "outcome": self.outcome,
                "ms": round(self.seconds * 1000, 2),
            },
            separators=(",", ":"),
        )
