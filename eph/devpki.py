"""The development PKI: a local CA and the certificates the parts show each other.

``eph certs init`` (and the first ``eph serve``) makes them in ``EPH_CERTS_DIR``
(default ``var/certs``) when they are missing:

- ``ca.crt`` / ``ca.key``: the development CA, valid for ten years; it signs the rest;
- ``platform.crt`` / ``.key``: the service platform's client certificate for the hop to
  producers; its subject SERIALNUMBER is the platform's HSA-id (the service trusts the
  original-consumer header only from a caller showing this certificate);
- ``service.crt`` / ``.key``: the service's server certificate (127.0.0.1, ::1, localhost).

Production uses certificates from the national PKI (SITHS) configured by path; nothing
here is meant for it.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_DIR = "var/certs"
PLATFORM_HSA_ID = "SE5565594230-VPDEV"  # the development platform's identity
CA_NAME = "EPH Development CA"


def certs_dir() -> Path:
    return Path(os.environ.get("EPH_CERTS_DIR") or DEFAULT_DIR)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path

    def exists(self) -> bool:
        return self.cert.exists() and self.key.exists()


@dataclass(frozen=True)
class DevPki:
    folder: Path

    @property
    def ca(self) -> Pair:
        return Pair(self.folder / "ca.crt", self.folder / "ca.key")

    @property
    def platform(self) -> Pair:
        return Pair(self.folder / "platform.crt", self.folder / "platform.key")

    @property
    def service(self) -> Pair:
        return Pair(self.folder / "service.crt", self.folder / "service.key")

    def issue(self, name: str, common_name: str, *, serial_number: str | None = None, server: bool = False,
              client: bool = False, days: int = 825) -> Pair:
        """A certificate signed by the development CA, written as ``name.crt`` / ``name.key``."""
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert.read_bytes())
        ca_key = serialization.load_pem_private_key(self.ca.key.read_bytes(), password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if serial_number:
            attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
        usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attributes))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                              data_encipherment=False, key_agreement=True, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]),
                critical=False,
            )
        cert = builder.sign(ca_key, hashes.SHA256())
        pair = Pair(self.folder / f"{name}.crt", self.folder / f"{name}.key")
        _write_key(pair.key, key)
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return pair

    def _make_ca(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"), x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=False, key_encipherment=False, content_commitment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_key(self.ca.key, key)
        self.ca.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def ensure(self) -> list[str]:
        """Make whatever is missing; returns the names of the files made."""
        self.folder.mkdir(parents=True, exist_ok=True)
        made: list[str] = []
        if not self.ca.exists():
            self._make_ca()
            made.append(self.ca.cert.name)
            # a new CA invalidates everything it did not sign
            for pair in (self.platform, self.service):
                pair.cert.unlink(missing_ok=True)
        if not self.platform.exists():
            self.issue("platform", "eph development platform", serial_number=PLATFORM_HSA_ID, client=True, server=True)
            made.append(self.platform.cert.name)
        if not self.service.exists():
            self.issue("service", "eph development service", server=True)
            made.append(self.service.cert.name)
        return made


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
