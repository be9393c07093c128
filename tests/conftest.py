"""Fixtures: databases (SQLite file and PostgreSQL), a migrated and seeded database per
backend, and a real service process per backend.

PostgreSQL: the fixtures that take both backends (``database_url``, ``empty_database_url``,
the integration and platform tests) always include it. The service tests
(``tests/service``) run on SQLite alone unless ``EPH_TEST_POSTGRES=1`` (``TEST_POSTGRES``),
which ``make test`` sets: ``make check`` and a plain ``pytest tests/service`` need no database
server. Where PostgreSQL is included and cannot be reached at ``EPH_TEST_POSTGRES_URL``, its
tests fail (``EPH_SKIP_POSTGRES=1`` skips them on purpose)."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from contracts import binding
from eph import demo
from eph.demo import routing as demo_routing
from eph.migrate import upgrade
from routing import store as routing_store
from service_domain.clock import utcnow
from service_domain.persistence.database import Database
from staff_web.auth import hash_password

from .support import CHECK, PlatformProcess, ServiceProcess

# The tests write every response strictly: a key that is not an element of its type is refused,
# not left out (contracts.binding), in this process and in the servers the tests start.
os.environ["EPH_STRICT_BINDING"] = "1"
binding.STRICT = True

POSTGRES_ADMIN_URL = os.environ.get(
    "EPH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# the service tests run on PostgreSQL too (see the module's docstring)
TEST_POSTGRES = os.environ.get("EPH_TEST_POSTGRES") == "1"


def _postgres_admin() -> object:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:
        engine.dispose()
        if os.environ.get("EPH_SKIP_POSTGRES") == "1":
            pytest.skip("PostgreSQL skipped on request (EPH_SKIP_POSTGRES=1)")
        pytest.fail(
            f"PostgreSQL is not reachable at {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)} "
            f"({type(e).__name__}); start it (make postgres) or set EPH_SKIP_POSTGRES=1 to skip deliberately"
        )
    return engine


def _new_postgres_database() -> Iterator[str]:
    engine = _postgres_admin()
    name = f"eph_test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    yield from _new_postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each backend for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        yield from _new_postgres_database()


@functools.cache
def _demo_password_hash(password: str) -> str:
    """The staff web's own hash (argon2 at its production cost, a third of a second), made once
    per session: every seeded database gets the same hash of the demo password."""
    return hash_password(password)


def seeded(url: str) -> str:
    upgrade(url)
    db = Database(url)
    demo.seed(db.uow, utcnow(), _demo_password_hash)
    db.dispose()
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with the demo data, once per backend."""
    if request.param == "sqlite":
        return seeded(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'eph.sqlite3'}")
    return seeded(request.getfixturevalue("postgres_database"))


@pytest.fixture(scope="session")
def service(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The service, served by gunicorn on a free port, over the backend's database."""
    log_path = Path(tmp_path_factory.mktemp("service")) / "service.log"
    proc = ServiceProcess(database_url, log_path).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def demo_platform(service: ServiceProcess, database_url: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    """The platform, with the demo routing catalogue, in front of the service (as `make serve` runs them)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        routing_store.save(conn, demo_routing.catalogue(service.base_url))
    engine.dispose()
    platform = PlatformProcess(database_url, Path(tmp_path_factory.mktemp("demo-platform")), instance_id="eph-vp-dev")
    platform.start()
    yield platform
    platform.stop()


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _messages_follow_the_contract() -> Iterator[None]:
    """Every SOAP message a test sent or received through the test clients must validate."""
    before = len(CHECK.problems)
    yield
    assert CHECK.problems[before:] == []
