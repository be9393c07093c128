"""The one rule for client certificates (contracts.certificates), as every listener applies it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from contracts.certificates import REASONS, CertificateRefused, accepted_client_serial
from tests.certs import CertificateAuthority, Issued


def der(issued: Issued) -> bytes:
    return x509.load_pem_x509_certificate(issued.cert.read_bytes()).public_bytes(serialization.Encoding.DER)


@pytest.fixture()
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


def test_a_client_certificate_gives_its_serial_number(ca: CertificateAuthority) -> None:
    assert accepted_client_serial(der(ca.issue("lab", "Lab", serial_number="SE1-A"))) == "SE1-A"


def test_a_certificate_for_signing_and_key_agreement_is_accepted(ca: CertificateAuthority) -> None:
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=True, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    assert accepted_client_serial(der(ca.issue("ku", "Lab", serial_number="SE1-A", key_usage=usage))) == "SE1-A"


def test_no_serial_number_is_none(ca: CertificateAuthority) -> None:
    assert accepted_client_serial(der(ca.issue("anon", "Lab"))) is None


def test_no_certificate_is_none() -> None:
    assert accepted_client_serial(None) is None


@pytest.mark.parametrize("kind, reason", [
    ("intermediate CA", "ca"),
    ("server only", "client-auth"),
    ("key agreement only", "key-usage"),
    ("expired", "validity"),
    ("not yet valid", "validity"),
])
def test_refused(ca: CertificateAuthority, kind: str, reason: str) -> None:
    issued = {
        "intermediate CA": lambda: ca.issue("sub", "Sub CA", serial_number="SE1-A", ca=True),
        "server only": lambda: ca.issue("srv", "Lab", serial_number="SE1-A", server=True),
        "key agreement only": lambda: ca.issue("ka", "Lab", serial_number="SE1-A",
                                               key_usage=ca.key_usage(digital_signature=False, key_agreement=True)),
        "expired": lambda: ca.issue("old", "Lab", serial_number="SE1-A", valid_days=(-30, -1)),
        "not yet valid": lambda: ca.issue("new", "Lab", serial_number="SE1-A", valid_days=(1, 30)),
    }[kind]()
    with pytest.raises(CertificateRefused) as refused:
        accepted_client_serial(der(issued))
    assert refused.value.reason == reason


def test_the_refusal_says_why_without_the_certificates_content(ca: CertificateAuthority) -> None:
    with pytest.raises(CertificateRefused) as refused:
        accepted_client_serial(der(ca.issue("sub", "Sub CA Name", serial_number="SE1-SECRET", ca=True)))
    assert str(refused.value) == REASONS["ca"]


def test_validity_is_judged_at_the_given_moment(ca: CertificateAuthority) -> None:
    later = datetime.now(UTC) + timedelta(days=60)
    with pytest.raises(CertificateRefused):
        accepted_client_serial(der(ca.issue("lab", "Lab", serial_number="SE1-A")), later)


def test_garbage_is_unreadable() -> None:
    with pytest.raises(CertificateRefused) as refused:
        accepted_client_serial(b"not a certificate")
    assert refused.value.reason == "unreadable"
