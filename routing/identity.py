"""Who is calling: the sender's HSA-id from a client certificate's subject SERIALNUMBER."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.x509.oid import NameOID

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def serial_number_of_peercert(peercert: dict[str, Any] | None) -> str | None:
    """SERIALNUMBER of the subject of a certificate as ``ssl.SSLSocket.getpeercert()`` returns it."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "serialNumber" and value:
                return str(value)
    return None


def serial_number_of_pem(header: str) -> str | None:
    """SERIALNUMBER of the subject of the certificate in an ``x-vp-auth-cert`` header.

    Proxies pass the PEM URL-encoded or with its line breaks folded into spaces; both are read.
    """
    text = unquote(header) if "%" in header else header
    match = _PEM.search(text)
    if match is None:
        return None
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
        cert = x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        return None
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values and values[0].value else None
