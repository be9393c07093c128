import pytest

from service_domain import paging
from service_domain.errors import InvalidRequest
from service_domain.identity import PersonId
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
    assert b"191212121212" not in raw and "1912" not in token


@pytest.mark.parametrize("token", ["", "AAAA", "not-base64!", "A" * 200])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidRequest):
        paging.decode(token, paging.query_digest(KEY, OrderQuery()))
