"""The SMS gateway stand-in's HTTP API (a Flask application).

``POST /sms`` with ``Authorization: Bearer <token>``, ``Idempotency-Key`` and a JSON body
``{"to": "+46…", "text": "…", "reference": "…"}`` (``reference`` optional): 201 and
``{"id": …}`` when stored; 200 and the same id for a key it has already stored with the same
body (stored once); 409 for a known key with another body; 400 for a request not of the shape;
401 without the right token. ``GET /messages`` (the same token) lists what was received, oldest
first; ``DELETE /messages`` forgets it. ``POST /faults`` with ``{"status": 503, "count": 2}``
makes the next ``count`` sends answer ``status`` (429 or 5xx), to show the outbox's retries.

Nothing is logged of a message (a number is personal data); the access log shows paths only,
and no path carries a number.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request

from ..stand_in_http import error, faults_asked, require_bearer
from .config import SmsGatewayStandInConfig

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
TEXT_MAX = 1600  # ten segments: a real gateway splits longer texts; the notices' fit one
KEY_MAX = 200


@dataclass(frozen=True)
class Received:
    id: str
    to: str
    text: str
    reference: str | None
    idempotencyKey: str  # the JSON name
    received: str


class Inbox:
    """The messages received, and the faults to answer with, in memory (one process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.by_key: dict[str, Received] = {}
        self.faults: list[int] = []

    def take_fault(self) -> int | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def store(self, key: str, to: str, text: str, reference: str | None) -> tuple[Received, bool | None]:
        """The message and whether it is new (None: the key is known with another body)."""
        with self.lock:
            known = self.by_key.get(key)
            if known is not None:
                same = (known.to, known.text, known.reference) == (to, text, reference)
                return known, (False if same else None)
            message = Received(uuid.uuid4().hex, to, text, reference, key,
                               datetime.now(UTC).isoformat(timespec="seconds"))
            self.messages.append(message)
            self.by_key[key] = message
            return message, True

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.by_key.clear()
            self.faults.clear()


def create_app(config: SmsGatewayStandInConfig | None = None, inbox: Inbox | None = None) -> Flask:
    config = config or SmsGatewayStandInConfig()
    inbox = inbox or Inbox()
    app = Flask("eph-sms-gateway")
    app.config["SMS_INBOX"] = inbox

    require_bearer(app, config.token, "sms-gateway")

    @app.post("/sms")
    def send() -> Any:
        key = request.headers.get("Idempotency-Key", "")
        if not key or len(key) > KEY_MAX:
            return error(400, f"the Idempotency-Key header is required (at most {KEY_MAX} characters)")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "the body is to be a JSON object")
        to, text, reference = body.get("to"), body.get("text"), body.get("reference")
        if not isinstance(to, str) or not E164.fullmatch(to):
            return error(400, "'to' is to be a number in E.164 form (+46…)")
        if not isinstance(text, str) or not text or len(text) > TEXT_MAX:
            return error(400, f"'text' is to be a text of 1 to {TEXT_MAX} characters")
        if reference is not None and (not isinstance(reference, str) or len(reference) > KEY_MAX):
            return error(400, f"'reference' is to be a text of at most {KEY_MAX} characters")
        unknown = set(body) - {"to", "text", "reference"}
        if unknown:
            return error(400, "unknown fields: " + ", ".join(sorted(unknown)))
        fault = inbox.take_fault()
        if fault is not None:
            return error(fault, "a fault asked for at /faults")
        message, new = inbox.store(key, to, text, reference)
        if new is None:
            return error(409, "the Idempotency-Key was used before with another message")
        return jsonify({"id": message.id}), (201 if new else 200)

    @app.get("/messages")
    def messages() -> Any:
        with inbox.lock:
            return jsonify({"messages": [asdict(m) for m in inbox.messages]})

    @app.delete("/messages")
    def forget() -> Any:
        inbox.clear()
        return "", 204

    @app.post("/faults")
    def faults() -> Any:
        asked = faults_asked(request.get_json(silent=True), throttle=True)
        if isinstance(asked, tuple):
            return asked
        with inbox.lock:
            inbox.faults = asked
        return "", 204

    return app
