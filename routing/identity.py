"""Who is calling: the sender's HSA-id from a client certificate's subject SERIALNUMBER, taken from
the TLS connection, or from the certificate a trusted TLS-terminating proxy passed on (verified here)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


class CertificateRefused(ValueError):
    """A certificate a proxy passed on that the platform does not accept (why, without its content)."""


def load_trusted(path: str) -> list[x509.Certificate]:
    """The certificates of a PEM bundle: the CAs whose certificates the platform believes."""
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificates(f.read())


def _pem_certificate(header: str) -> x509.Certificate:
    text = unquote(header) if "%" in header else header
    match = _PEM.search(text)
    if match is None:
        raise CertificateRefused("x-vp-auth-cert holds no PEM certificate")
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(match.group(1).split()), validate=True))
    except (binascii.Error, ValueError):
        raise CertificateRefused("the certificate in x-vp-auth-cert is unreadable") from None


def _current(cert: x509.Certificate, now: datetime, what: str) -> None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateRefused(f"the {what} is outside its validity period")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verified_sender(header: str, trusted: list[x509.Certificate], now: datetime | None = None) -> str:
    """The sender (subject SERIALNUMBER) of the client certificate a TLS-terminating proxy passed on,
    once the certificate is shown to chain to a trusted CA, to be within its validity period (and its
    issuers within theirs), and to be meant for a TLS client (no CA; key usage, when given, allows
    signing; extended key usage, when given, includes client authentication)."""
    now = now or datetime.now(UTC)
    cert = _pem_certificate(header)
    _current(cert, now, "certificate")
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise CertificateRefused("the certificate is a CA certificate, not a client's")
    except x509.ExtensionNotFound:
        pass
    try:
        if not cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            raise CertificateRefused("the certificate's key usage does not allow digital signatures")
    except x509.ExtensionNotFound:
        pass
    try:
        if ExtendedKeyUsageOID.CLIENT_AUTH not in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value:
            raise CertificateRefused("the certificate's extended key usage does not include client authentication")
    except x509.ExtensionNotFound:
        pass
    # the chain: issuers among the trusted certificates, up to one that issued itself
    current, hops = cert, 0
    while True:
        issuers = [c for c in trusted if c.subject == current.issuer and _issued_by(current, c)]
        if not issuers:
            raise CertificateRefused("the certificate is not issued by a CA the platform trusts")
        issuer = issuers[0]
        _current(issuer, now, "issuing CA certificate")
        if issuer.subject == issuer.issuer or hops > 8:
            break
        current, hops = issuer, hops + 1
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not values or not values[0].value:
        raise CertificateRefused("the certificate's subject has no SERIALNUMBER")
    return str(values[0].value)
