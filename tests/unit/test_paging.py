import base64
import hashlib
import re
from datetime import UTC, datetime

import pytest

from service_domain import paging
from service_domain.errors import InvalidRequest
from service_domain.identity import PERSONNUMMER, SAMORDNINGSNUMMER, PersonId
from service_domain.model import OrderStatus
from service_domain.ports import OrderQuery

KEY = b"k" * 32


def test_round_trip() -> None:
    q = OrderQuery(performing_lab="SE2321000016-LAB1")
    d = paging.query_digest(KEY, q)
    token = paging.encode(12345, d)
    assert paging.decode(token, d) == 12345


def test_token_of_another_query_is_refused() -> None:
    a = paging.query_digest(KEY, OrderQuery(performing_lab="SE2321000016-LAB1"))
    b = paging.query_digest(KEY, OrderQuery(performing_lab="SE2321000255-LAB1"))
    with pytest.raises(InvalidRequest, match="other selectors"):
        paging.decode(paging.encode(7, a), b)


def test_token_reveals_no_patient() -> None:
    q = OrderQuery(patient=PersonId("1.2.752.129.2.1.3.1", "191212121212"))
    token = paging.encode(1, paging.query_digest(KEY, q))
    import base64

    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"191212121212" not in raw
    assert "1912" not in token


@pytest.mark.parametrize("token", ["", "AAAA", "not-base64!", "A" * 200])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidRequest):
        paging.decode(token, paging.query_digest(KEY, OrderQuery()))


# -- every selector and filter belongs to the query a token was issued for --------------------

PATIENT_A = PersonId("191212121212")
PATIENT_B = PersonId("199001012385")
T0 = datetime(2026, 11, 1, tzinfo=UTC)
T1 = datetime(2026, 11, 2, tzinfo=UTC)

# pairs of queries that differ in one selector or filter; a token of one must not page the other
DIFFERENT_QUERIES = {
    "patient": (OrderQuery(patient=PATIENT_A), OrderQuery(patient=PATIENT_B)),
    "patient or none": (OrderQuery(patient=PATIENT_A, performing_lab="SE2321000016-LAB1"),
                        OrderQuery(performing_lab="SE2321000016-LAB1")),
    "patient type": (OrderQuery(patient=PersonId("191212121212", PERSONNUMMER)),
                     OrderQuery(patient=PersonId("191212121212", SAMORDNINGSNUMMER))),
    "order ids": (OrderQuery(order_ids=("o1",)), OrderQuery(order_ids=("o1", "o2"))),
    "referral ids": (OrderQuery(referral_ids=("R1",)), OrderQuery(referral_ids=("R2",))),
    "performing lab": (OrderQuery(performing_lab="SE2321000016-LAB1"), OrderQuery(performing_lab="SE2321000016-LAB2")),
    "sampling unit": (OrderQuery(sampling_unit="SE2321000016-PT1"), OrderQuery(sampling_unit="SE2321000016-PT2")),
    "statuses": (OrderQuery(statuses=(OrderStatus.ORDERED,)), OrderQuery(statuses=(OrderStatus.KIT_SENT,))),
    "created from": (OrderQuery(created_from=T0), OrderQuery(created_from=T1)),
    "created before": (OrderQuery(created_before=T0), OrderQuery(created_before=T1)),
    "care givers": (OrderQuery(care_givers=frozenset({"CG1"})), OrderQuery(care_givers=frozenset({"CG2"}))),
    "all care givers or none": (OrderQuery(care_givers=None), OrderQuery(care_givers=frozenset())),
}


@pytest.mark.parametrize("what", sorted(DIFFERENT_QUERIES))
def test_a_token_pages_only_the_query_it_was_issued_for(what: str) -> None:
    issued_for, other = DIFFERENT_QUERIES[what]
    token = paging.encode(41, paging.query_digest(KEY, issued_for))
    assert paging.decode(token, paging.query_digest(KEY, issued_for)) == 41
    with pytest.raises(InvalidRequest, match="^continuationToken belongs to a query with other selectors or filters$"):
        paging.decode(token, paging.query_digest(KEY, other))


def test_one_patients_token_is_refused_for_another_patient() -> None:
    # the case that matters most: a citizen must not page through another patient's orders
    mine = paging.query_digest(KEY, OrderQuery(patient=PATIENT_A))
    theirs = paging.query_digest(KEY, OrderQuery(patient=PATIENT_B))
    with pytest.raises(InvalidRequest):
        paging.decode(paging.encode(3, mine), theirs)


def test_the_same_query_written_differently_keeps_its_token() -> None:
    # statuses and care givers are sets, and referral ids compare case-insensitively
    a = OrderQuery(statuses=(OrderStatus.ORDERED, OrderStatus.KIT_SENT), referral_ids=("ab12",),
                   care_givers=frozenset({"CG1", "CG2"}))
    b = OrderQuery(statuses=(OrderStatus.KIT_SENT, OrderStatus.ORDERED), referral_ids=("AB12",),
                   care_givers=frozenset({"CG2", "CG1"}))
    assert paging.decode(paging.encode(5, paging.query_digest(KEY, a)), paging.query_digest(KEY, b)) == 5


def test_the_digest_is_keyed() -> None:
    # without the deployment's key anyone could compute the digest of a guessed query (a
    # patient's number) and compare it with a token; and another deployment's token is refused
    query = OrderQuery(patient=PATIENT_A)
    assert paging.query_digest(KEY, query) != paging.query_digest(b"x" * 32, query)
    assert paging.keyed_digest(KEY, "a", "b") != paging.keyed_digest(b"x" * 32, "a", "b")
    assert paging.keyed_digest(KEY, "a", "b") != hashlib.blake2b(b"a\x1fb", digest_size=8).digest()
    with pytest.raises(InvalidRequest, match="other selectors"):
        paging.decode(paging.encode(1, paging.query_digest(KEY, query)), paging.query_digest(b"x" * 32, query))


def test_the_digest_keeps_the_parts_apart() -> None:
    assert paging.keyed_digest(KEY, "ab", "c") != paging.keyed_digest(KEY, "a", "bc")


# -- the token's form ---------------------------------------------------------------------------

def test_a_token_is_url_safe_base64_of_version_position_and_a_64_bit_digest() -> None:
    digest = paging.query_digest(KEY, OrderQuery(performing_lab="SE2321000016-LAB1"))
    assert len(digest) == 8
    for position in (0, 1, 255, 2**32 + 7, 2**56 + 1, paging.MAX_POSITION):
        token = paging.encode(position, digest)
        assert re.fullmatch(r"[A-Za-z0-9_-]{23}", token), token  # 17 bytes, no '=' padding
        raw = base64.urlsafe_b64decode(token + "=")
        assert raw[0] == 1
        assert int.from_bytes(raw[1:9], "big") == position
        assert raw[9:] == digest
        assert paging.decode(token, digest) == position


def test_the_largest_position_is_accepted_and_one_more_is_not() -> None:
    digest = paging.query_digest(KEY, OrderQuery(performing_lab="SE2321000016-LAB1"))
    assert paging.MAX_POSITION == 2**63 - 1  # a signed 64-bit row number
    assert paging.decode(paging.encode(2**63 - 1, digest), digest) == 2**63 - 1
    forged = base64.urlsafe_b64encode(bytes([1]) + (2**63).to_bytes(8, "big") + digest).decode().rstrip("=")
    with pytest.raises(InvalidRequest, match="^continuationToken is not a token this service issued$"):
        paging.decode(forged, digest)


@pytest.mark.parametrize("version", [0, 2, 255])
def test_a_token_of_another_version_is_refused(version: int) -> None:
    digest = paging.query_digest(KEY, OrderQuery())
    forged = base64.urlsafe_b64encode(bytes([version]) + (9).to_bytes(8, "big") + digest).decode().rstrip("=")
    with pytest.raises(InvalidRequest, match="^continuationToken is not a token this service issued$"):
        paging.decode(forged, digest)


@pytest.mark.parametrize("token", ["", "AAAA", "not-base64!", "A" * 200, "A" * 22, "A" * 24, "A====="])
def test_garbage_is_refused_with_the_same_words(token: str) -> None:
    with pytest.raises(InvalidRequest, match="^continuationToken is not a token this service issued$"):
        paging.decode(token, paging.query_digest(KEY, OrderQuery()))
