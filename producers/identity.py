"""Who is calling the service: the platform's certificate on the TLS listener."""

from __future__ import annotations

from typing import Any

from contracts.certificates import CertificateRefused, accepted_client_serial

__all__ = ["CertificateRefused", "peer_identity"]


def peer_identity(environ: dict[str, Any]) -> str | None:
    """The SERIALNUMBER of the client certificate the caller showed, once the TLS listener
    verified it against its CA and it passes the rule for client certificates; None on plain
    HTTP or without a certificate. Raises CertificateRefused when the rule refuses it."""
    getpeercert = getattr(environ.get("gunicorn.socket"), "getpeercert", None)
    if getpeercert is None:
        return None
    try:
        der = getpeercert(binary_form=True)
    except ValueError:  # not connected any more, or no handshake
        return None
    return accepted_client_serial(der)
