"""Continuation tokens for keyset paging (GetOrders, the access log, the log review).

A token holds the position after which the next page starts (the ordering key of
the last order returned) and a keyed digest of the query it belongs to, so that a
token sent with other selectors is refused instead of silently skipping orders.
The digest is keyed with a per-deployment secret: it reveals nothing about the
query (which may hold a personal identity number).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from .errors import InvalidRequest
from .ports import OrderQuery

_VERSION = 1
_DIGEST_SIZE = 8
MAX_POSITION = 2**63 - 1  # positions are signed 64-bit row numbers


def keyed_digest(key: bytes, *parts: str) -> bytes:
    """A keyed digest of what a token belongs to."""
    return hashlib.blake2b("\x1f".join(parts).encode(), key=key, digest_size=_DIGEST_SIZE).digest()


def query_digest(key: bytes, query: OrderQuery) -> bytes:
    parts = (
        query.patient.type + ":" + query.patient.id if query.patient else "",
        ",".join(query.order_ids),
        ",".join(r.upper() for r in query.referral_ids),
        query.performing_lab or "",
        query.sampling_unit or "",
        ",".join(sorted(query.statuses)),
        query.created_from.isoformat() if query.created_from else "",
        query.created_before.isoformat() if query.created_before else "",
        ",".join(sorted(query.care_givers)) if query.care_givers is not None else "*",
    )
    return keyed_digest(key, *parts)


def encode(after: int, digest: bytes) -> str:
    return encode_position((after,), digest)


def decode(token: str, digest: bytes) -> int:
    return decode_position(token, digest, 1)[0]


def encode_position(position: tuple[int, ...], digest: bytes) -> str:
    """A token of a position of several parts (a time in microseconds, a row number, …), each a
    non-negative signed 64-bit number; one part is the same token as ``encode``'s."""
    raw = bytes([_VERSION]) + b"".join(p.to_bytes(8, "big") for p in position) + digest
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_position(token: str, digest: bytes, parts: int) -> tuple[int, ...]:
    """The position of ``parts`` parts a token holds, if it belongs to the query of ``digest``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidRequest("continuationToken is not a token this service issued") from None
    end = 1 + 8 * parts
    if len(raw) != end + _DIGEST_SIZE or raw[0] != _VERSION:
        raise InvalidRequest("continuationToken is not a token this service issued")
    if raw[end:] != digest:
        raise InvalidRequest("continuationToken belongs to a query with other selectors or filters")
    position = tuple(int.from_bytes(raw[1 + 8 * i:9 + 8 * i], "big") for i in range(parts))
    if max(position) > MAX_POSITION:
        raise InvalidRequest("continuationToken is not a token this service issued")
    return position
