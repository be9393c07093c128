"""Uthopp: a journal system sends a staff member here with a short-lived token it signed.

The token is a JWT signed with a key the journal system registered (``eph systems key add``):
- ``iss`` the journal system's HSA-id (a connected system of kind EHR);
- ``aud`` the staff web's HSA-id;
- ``sub`` the staff member's HSA-id, ``careUnitHSAId`` the care unit they work at,
  ``patientId`` the patient (12 digits);
- ``iat``, ``exp`` (at most two minutes after now), and ``jti``, which is good once only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from service_domain.identity import is_hsa_id
from service_domain.model import ConnectedSystem, SystemKey, SystemKind

LEEWAY = 5  # seconds of clock difference tolerated
_PATIENT = re.compile(r"[0-9]{12}")


class UthoppRefused(Exception):
    """``reason`` is a short English word for the log (never the token's content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Uthopp:
    issuer: str
    staff: str
    care_unit: str
    patient: str


def load_key(pem: str) -> Any:
    """A PEM public key of a kind uthopp tokens may be signed with; ValueError otherwise."""
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("the key must be an RSA, EC or Ed25519 public key")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise ValueError("an RSA key must have at least 2048 bits")
    return key


def _algorithms(key: Any) -> list[str]:
    if isinstance(key, rsa.RSAPublicKey):
        return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ["ES256", "ES384", "ES512"]
    return ["EdDSA"]


def verify(
    token: str,
    *,
    audience: str,
    now: datetime,
    max_lifetime: int,
    signing_keys: Callable[[str], tuple[ConnectedSystem | None, list[SystemKey]]],
    use_once: Callable[[str, str, datetime], bool],
) -> tuple[Uthopp, ConnectedSystem]:
    if not token or len(token) > 8192:
        raise UthoppRefused("malformed")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise UthoppRefused("malformed") from None
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not is_hsa_id(issuer):
        raise UthoppRefused("issuer")
    system, keys = signing_keys(issuer)
    if system is None or system.kind is not SystemKind.EHR or not keys:
        raise UthoppRefused("issuer")
    kid = header.get("kid")
    candidates = [k for k in keys if kid is None or k.key_id == kid]
    claims: dict[str, Any] | None = None
    for candidate in candidates:
        key = load_key(candidate.public_key_pem)
        algorithms = _algorithms(key)
        if header.get("alg") not in algorithms:
            continue
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "sub", "exp", "iat", "jti"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            raise UthoppRefused("expired") from None
        except jwt.PyJWTError:
            raise UthoppRefused("claims") from None
    if claims is None:
        raise UthoppRefused("signature")
    timestamp = now.timestamp()
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise UthoppRefused("claims")
    if exp - timestamp > max_lifetime + LEEWAY or exp - iat > max_lifetime:
        raise UthoppRefused("lifetime")
    staff, unit, patient, jti = claims["sub"], claims.get("careUnitHSAId"), claims.get("patientId"), claims["jti"]
    if not (isinstance(staff, str) and is_hsa_id(staff)) or not (isinstance(unit, str) and is_hsa_id(unit)):
        raise UthoppRefused("claims")
    if not isinstance(patient, str) or not _PATIENT.fullmatch(patient):
        raise UthoppRefused("claims")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 255:
        raise UthoppRefused("claims")
    if not use_once(system.hsa_id, jti, datetime.fromtimestamp(exp, UTC)):
        raise UthoppRefused("replayed")
    return Uthopp(system.hsa_id, staff, unit, patient), system
