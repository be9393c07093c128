"""Who is calling: the sender's HSA-id from a client certificate's subject SERIALNUMBER, taken from
the TLS connection, or from the certificate a trusted TLS-terminating proxy passed on (verified here)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from contracts.certificates import (
    CertificateRefused,
    accepted_client_serial,
    check_client_certificate,
    subject_serial_number,
)

__all__ = ["CertificateRefused", "accepted_client_serial", "load_trusted", "serial_number_of_pem", "verified_sender"]

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


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


def load_trusted(path: str) -> list[x509.Certificate]:
    """The certificates of a PEM bundle: the CAs whose certificates the platform believes."""
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificates(f.read())


def _pem_certificate(header: str) -> x509.Certificate:
    text = unquote(header) if "%" in header else header
    match = _PEM.search(text)
    if match is None:
        raise CertificateRefused("unreadable", "x-vp-auth-cert holds no PEM certificate")
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(match.group(1).split()), validate=True))
    except (binascii.Error, ValueError):
        raise CertificateRefused("unreadable", "the certificate in x-vp-auth-cert is unreadable") from None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verified_sender(header: str, trusted: list[x509.Certificate], now: datetime | None = None) -> str:
    """The sender (subject SERIALNUMBER) of the client certificate a TLS-terminating proxy passed on,
    once the certificate passes the rule every client certificate must pass
    (``contracts.certificates``), is shown to chain to a trusted CA and its issuers are within
    their validity periods."""
    now = now or datetime.now(UTC)
    cert = _pem_certificate(header)
    check_client_certificate(cert, now)
    # the chain: issuers among the trusted certificates, up to one that issued itself
    current, hops = cert, 0
    while True:
        issuers = [c for c in trusted if c.subject == current.issuer and _issued_by(current, c)]
        if not issuers:
            raise CertificateRefused("untrusted", "the certificate is not issued by a CA the platform trusts")
        issuer = issuers[0]
        if not issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc:
            raise CertificateRefused("validity", "the issuing CA certificate is outside its validity period")
        if issuer.subject == issuer.issuer or hops > 8:
            break
        current, hops = issuer, hops + 1
    sender = subject_serial_number(cert)
    if sender is None:
        raise CertificateRefused("no-serial", "the certificate's subject has no SERIALNUMBER")
    return sender
