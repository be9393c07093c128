"""Test certificates made with the cryptography package: a CA, the platform's server
certificate, client certificates with and without SERIALNUMBER, a stranger's CA, and the
certificates a platform must refuse: expired, not yet valid, self-signed, meant for a server,
a CA certificate (an intermediate CA's, with a SERIALNUMBER), a key for key agreement only."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Issued:
    cert: Path
    key: Path

    def pem(self) -> str:
        return self.cert.read_text()


def _name(cn: str, serial_number: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if serial_number:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    return x509.Name(attrs)


class CertificateAuthority:
    def __init__(self, folder: Path, name: str = "EPH Test CA") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self.name = _name(name)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.path = folder / f"{name.replace(' ', '-')}.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    @classmethod
    def load(cls, folder: Path, cert: Path, key: Path) -> CertificateAuthority:
        """An existing CA (the development PKI's, say) that issues into ``folder``."""
        ca = cls.__new__(cls)
        ca.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        ca.key = loaded
        ca.cert = x509.load_pem_x509_certificate(cert.read_bytes())
        ca.name = ca.cert.subject
        ca.path = cert
        return ca

    def key_usage(self, *, digital_signature: bool, key_agreement: bool = False) -> x509.KeyUsage:
        """Key usage for a leaf: for signing and key encipherment, or (``key_agreement``) for
        key agreement instead of encipherment."""
        return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                             key_encipherment=not key_agreement, data_encipherment=False, key_agreement=key_agreement,
                             key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)

    def issue(self, filename: str, cn: str, *, serial_number: str | None = None, server: bool = False,
              valid_days: tuple[int, int] = (-1, 30), key_usage: x509.KeyUsage | None = None,
              self_signed: bool = False, ca: bool = False) -> Issued:
        """A certificate signed by this CA (or, ``self_signed``, by its own key but naming this CA as
        issuer), valid from and to the given days from now; ``ca``: an intermediate CA's certificate
        (basicConstraints CA:TRUE, key usage for signing certificates and more, no extended key usage)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, serial_number))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=valid_days[0]))
            .not_valid_after(now + timedelta(days=valid_days[1]))
        )
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            key_usage = key_usage or x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False)
        else:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
        if key_usage is not None:
            builder = builder.add_extension(key_usage, critical=True)
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False,
            )
        cert = builder.sign(key if self_signed else self.key, hashes.SHA256())
        issued = Issued(self.folder / f"{filename}.crt", self.folder / f"{filename}.key")
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        issued.key.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        return issued
