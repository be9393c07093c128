"""Migration w0002: the sessions stored before their data was encrypted (their identity numbers
in plain text) are ended on the way up, and the encrypted ones on the way down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, func, insert, select

from eph.migrate import alembic_config, upgrade
from service_domain.clock import utcnow
from staff_web.store import web_session
from tests.support import person_number


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'eph.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    e = create_engine(url)
    yield e
    e.dispose()


def add_session(engine: Engine, data: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(web_session).values(id="0" * 64, data=data, created=utcnow(), last_seen=utcnow(),
                                                hsa_id="SE2321000016-SSK1"))


def sessions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(web_session)).scalar_one())


def test_the_upgrade_ends_the_sessions_stored_in_plain_text(url: str, engine: Engine) -> None:
    command.downgrade(alembic_config(url), "w0001")
    add_session(engine, f'{{"staff":"SE2321000016-SSK1","patient":"{person_number(date(1970, 1, 2))}"}}')
    upgrade(url)
    assert sessions(engine) == 0


def test_the_downgrade_ends_the_encrypted_sessions(url: str, engine: Engine) -> None:
    add_session(engine, "c2VhbGVk")
    command.downgrade(alembic_config(url), "w0001")
    assert sessions(engine) == 0
