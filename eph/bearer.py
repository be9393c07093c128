"""The settings of an HTTP API the service calls with a bearer token (the SMS gateway, the
population register): ``<PREFIX>_URL``, ``_TOKEN`` (required with the URL), ``_TIMEOUT`` (seconds)
and ``_CA`` (a CA file to verify an https:// address by; the system's by default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self


@dataclass(frozen=True)
class BearerApi:
    url: str
    token: str = field(repr=False)
    timeout: float = 30.0
    ca: str | None = None

    @classmethod
    def read(cls, env: Mapping[str, str], prefix: str, whose: str) -> Self | None:
        """The settings under ``prefix``, or None when its URL is not set; ValueError naming
        ``whose`` token when the URL is set without it."""
        url = (env.get(f"{prefix}_URL") or "").strip()
        if not url:
            return None
        token = env.get(f"{prefix}_TOKEN") or ""
        if not token:
            raise ValueError(f"{prefix}_URL is set but {prefix}_TOKEN is not: {whose} bearer token")
        timeout = env.get(f"{prefix}_TIMEOUT")
        return cls(url, token, float(timeout) if timeout else cls.timeout, env.get(f"{prefix}_CA") or None)
