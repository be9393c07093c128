"""Fixtures of the platform tests: a migrated database, a fake producer, a running platform,
and a way to put a catalogue in force."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from eph.migrate import upgrade
from routing import store
from routing.catalogue import Catalogue
from tests.fake_producer import FakeProducer
from tests.support import PlatformProcess

SENDER = "SE2321000016-LAB1"
ADDRESS = "SE5565594230-EPH"
NOW = datetime.now(UTC)
FROM = NOW - timedelta(days=1)
TO = NOW + timedelta(days=365)


def contract(name: str) -> str:
    return f"urn:test:{name}Responder:1"


def save(database_url: str, cat: Catalogue) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        store.save(conn, cat)
    engine.dispose()


def routed(cat: Catalogue, name: str, url: str, *, address: str = ADDRESS, profile: str = "RIVTABP21",
           consumer: str | None = SENDER) -> Catalogue:
    """A routing for contract ``name`` to ``url`` and (unless consumer is None) an authorization for it."""
    cat, _ = store.with_routing(cat, contract(name), address, url, "SE5565594230-P01", profile, FROM, TO, now=NOW, who="t")
    if consumer:
        cat, _ = store.with_authorization(cat, consumer, contract(name), address, FROM, TO, now=NOW, who="t")
    return cat


@pytest.fixture(scope="module")
def platform_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('platform-db') / 'platform.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def producer() -> Iterator[FakeProducer]:
    p = FakeProducer().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def platform(platform_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    proc = PlatformProcess(platform_db, Path(tmp_path_factory.mktemp("platform")))
    # production defaults, but for the settings tests are about
    proc.start(
        EPH_VP_CONTRACT_TIMEOUTS=f"{contract('Timeout')}=1",
        EPH_VP_ORIGINAL_CONSUMER_SENDERS="SE5565594230-1177",
        EPH_VP_PRODUCER_CERT="none",  # no client certificate for HTTPS producers (VP012)
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def install(platform: PlatformProcess, platform_db: str) -> Callable[[Catalogue], None]:
    """Put a catalogue in force: store it and reload the platform."""

    def put(cat: Catalogue) -> None:
        save(platform_db, cat)
        answer = platform.reload()
        assert answer["reloaded"], answer

    return put
