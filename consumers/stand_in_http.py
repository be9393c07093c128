"""What the JSON stand-ins (the SMS gateway's, the population register's) share: the bearer
token every request carries, error answers, and the ``POST /faults`` body that makes their next
answers fail."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, Response, jsonify, request


def error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def require_bearer(app: Flask, token: str, realm: str) -> None:
    """Every request of ``app`` needs ``Authorization: Bearer <token>``; 401 otherwise."""

    @app.before_request
    def _token() -> Any:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response, status = error(401, "a bearer token is required, and this one is not it")
            response.headers["WWW-Authenticate"] = f'Bearer realm="{realm}"'
            return response, status
        return None


def faults_asked(body: Any, *, throttle: bool) -> list[int] | tuple[Response, int]:
    """The answers a ``POST /faults`` body ``{"status": 503, "count": 2}`` asks for (``count``
    times ``status``: 5xx, or 429 where ``throttle``), or the 400 answer to a body not of that shape."""
    status = body.get("status") if isinstance(body, dict) else None
    count = body.get("count", 1) if isinstance(body, dict) else None
    if not isinstance(status, int) or not ((throttle and status == 429) or 500 <= status <= 599):
        return error(400, "'status' is to be 429 or 5xx" if throttle else "'status' is to be 5xx")
    if not isinstance(count, int) or not 0 <= count <= 1000:
        return error(400, "'count' is to be 0 to 1000")
    return [status] * count
