"""Who is calling the service: the platform's certificate on the TLS listener."""

from __future__ import annotations

from typing import Any


def serial_number(peercert: dict[str, Any] | None) -> str | None:
    """The subject SERIALNUMBER (an HSA-id) of a certificate as ``getpeercert()`` returns it."""
    for rdn in (peercert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "serialNumber" and value:
                return str(value)
    return None


def peer_identity(environ: dict[str, Any]) -> str | None:
    """The SERIALNUMBER of the client certificate the caller showed and the TLS listener
    verified against its CA; None on plain HTTP or without a certificate."""
    getpeercert = getattr(environ.get("gunicorn.socket"), "getpeercert", None)
    if getpeercert is None:
        return None
    try:
        return serial_number(getpeercert())
    except ValueError:  # not connected any more, or no handshake
        return None
