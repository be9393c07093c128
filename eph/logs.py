"""Both servers log JSON lines on standard error, one object per line.

A call record is logged as a ready JSON object (its logger's messages start with ``{``) and
passes through as it is; every other record becomes ``{"time", "level", "logger",
"message"}``. Messages never carry request bodies or personal data: the code that logs
makes sure of that.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

CALL_LOGGERS = ("eph.service.call", "eph.vp.call")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name in CALL_LOGGERS and message.startswith("{"):
            return message
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "pid": record.process,
        }
        if record.exc_info and record.exc_info[0] is not None:
            # the type only: an exception's text may quote data
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, separators=(",", ":"), ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CALL_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


class JsonGunicornLogger(GunicornLogger):
    """gunicorn's own messages (workers booting, exiting) as JSON lines too."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
