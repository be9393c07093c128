"""The one rule for a client certificate, wherever a caller shows one: on the platform's TLS
listener, in an ``x-vp-auth-cert`` a trusted proxy passes on, on the service's TLS listener and
on the staff web's card login. It lives with the contracts because every one of them may import
them (see ``tests/unit/test_layers.py``).

A client certificate is accepted when it is within its validity period, is no CA certificate,
its key usage (where given) allows digital signatures and its extended key usage (where given)
includes client authentication. That it was issued by a trusted CA is the TLS handshake's
check (or, for ``x-vp-auth-cert``, the platform's). A refusal says why, never what the
certificate holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# why a certificate was refused: the reason's key and its text (English; a Swedish page
# translates the key)
REASONS: dict[str, str] = {
    "unreadable": "the certificate is unreadable",
    "validity": "the certificate is outside its validity period",
    "ca": "the certificate is a CA certificate, not a client's",
    "key-usage": "the certificate's key usage does not allow digital signatures",
    "client-auth": "the certificate's extended key usage does not include client authentication",
}


class CertificateRefused(ValueError):
    """A client certificate that is not accepted; ``reason`` is a key of ``REASONS`` (or a
    caller's own key), the message says why in words without the certificate's content."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or REASONS[reason])
        self.reason = reason


def from_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise CertificateRefused("unreadable") from None


def check_client_certificate(cert: x509.Certificate, now: datetime | None = None) -> None:
    """Raises CertificateRefused unless ``cert`` may identify a TLS client (see the module)."""
    now = now or datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateRefused("validity")
    extensions = cert.extensions
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise CertificateRefused("ca")
    except x509.ExtensionNotFound:
        pass
    try:
        if not extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            raise CertificateRefused("key-usage")
    except x509.ExtensionNotFound:
        pass
    try:
        if ExtendedKeyUsageOID.CLIENT_AUTH not in extensions.get_extension_for_class(x509.ExtendedKeyUsage).value:
            raise CertificateRefused("client-auth")
    except x509.ExtensionNotFound:
        pass


def subject_serial_number(cert: x509.Certificate) -> str | None:
    """The subject's SERIALNUMBER (an HSA-id), None without one."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values and values[0].value else None


@lru_cache(maxsize=1024)
def _verdict(der: bytes) -> tuple[x509.Certificate, str | None]:
    """The certificate and the reason the rule refuses it whatever the time (None: none), once per
    certificate: a caller shows the same one on every call of a connection, and of the next."""
    cert = from_der(der)
    try:
        check_client_certificate(cert, cert.not_valid_before_utc)  # a time within its validity
    except CertificateRefused as e:
        return cert, e.reason
    return cert, None


def accepted_client_serial(der: bytes | None, now: datetime | None = None) -> str | None:
    """The SERIALNUMBER of a client certificate the TLS layer verified (DER, as
    ``getpeercert(binary_form=True)`` gives it) once the rule accepts it; None without a
    certificate or without a SERIALNUMBER. Raises CertificateRefused."""
    if not der:
        return None
    cert, reason = _verdict(der)
    now = now or datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateRefused("validity")
    if reason is not None:
        raise CertificateRefused(reason)
    return subject_serial_number(cert)
