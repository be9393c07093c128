"""Several platform nodes on one database: a reload on one is followed by the others through the
reload generation in ``tak_reload`` (each "node" here is a CatalogueHolder with its own engine
and local copy, as each node's worker has; tests/integration/test_scaleout.py runs real nodes)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from routing import store
from routing.catalogue import Catalogue
from routing.state import CatalogueHolder
from tests.platform.conftest import routed, save


@pytest.fixture()
def database(tmp_path: Path) -> str:
    from eph.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'nodes.sqlite3'}"
    upgrade(url)
    return url


class Node:
    def __init__(self, url: str, folder: Path, name: str) -> None:
        self.engine = create_engine(url)

        def read() -> Catalogue | None:
            with self.engine.connect() as conn:
                return store.load(conn)

        def generation() -> int | None:
            with self.engine.connect() as conn:
                return store.reload_generation(conn)

        def announce(version: int) -> int:
            with self.engine.begin() as conn:
                return store.announce_reload(conn, version, name, datetime.now(UTC))

        self.holder = CatalogueHolder(read, folder / name / "tak-local-copy.json", read_generation=generation,
                                      announce=announce)

    def routes(self) -> int:
        table = self.holder.table
        return table.routing_count if table else 0


@pytest.fixture()
def nodes(database: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    save(database, routed(store.empty(), "Ping", "http://127.0.0.1:1/ok"))
    one, two = Node(database, tmp_path, "one"), Node(database, tmp_path, "two")
    one.holder.start()
    two.holder.start()
    yield one, two
    one.engine.dispose()
    two.engine.dispose()


def _edit(database: str) -> None:
    cat = routed(routed(store.empty(), "Ping", "http://127.0.0.1:1/ok"), "Other", "http://127.0.0.1:1/ok")
    save(database, cat)


def test_a_reload_on_one_node_is_followed_by_the_other(nodes: tuple[Node, Node], database: str) -> None:
    one, two = nodes
    assert (one.routes(), two.routes()) == (1, 1)
    _edit(database)
    # an edit alone is in force nowhere
    assert two.holder.follow() is False
    assert two.routes() == 1
    one.holder.reload()
    assert one.routes() == 2
    assert one.holder.generation == 1
    assert two.holder.follow() is True
    assert two.routes() == 2
    assert two.holder.generation == 1
    assert two.holder.status()["reloadGeneration"] == 1
    # a reload is followed once only
    assert two.holder.follow() is False
    assert one.holder.follow() is False
    # the other way round, and the generation counts on
    save(database, routed(store.empty(), "Ping", "http://127.0.0.1:1/ok"))
    two.holder.reload()
    assert one.holder.follow() is True
    assert one.routes() == 1
    assert one.holder.generation == 2


def test_a_node_whose_reload_crosses_another_nodes_ends_with_the_newer_catalogue(
        nodes: tuple[Node, Node], database: str) -> None:
    """Node one reads the catalogue; before it announces, the catalogue is edited and node two
    reloads and announces. One's own announcement comes after two's, so one never follows two's:
    it must read again itself."""
    one, two = nodes
    announce = one.holder.announce
    assert announce is not None

    def crossed(version: int) -> int:
        _edit(database)
        two.holder.reload()  # generation 1, with the edit
        return announce(version)  # generation 2, for what one read before the edit

    one.holder.announce = crossed
    one.holder.reload()
    assert two.routes() == 2
    assert one.holder.generation == 2
    assert one.routes() == 2  # not the catalogue it read before the edit
    assert two.holder.follow() is True
    assert two.routes() == 2


def test_starting_a_node_announces_nothing(nodes: tuple[Node, Node], database: str, tmp_path: Path) -> None:
    one, two = nodes
    _edit(database)
    three = Node(database, tmp_path, "three")
    try:
        three.holder.start()
        assert three.routes() == 2  # a node reads the database at start, as before
        assert three.holder.generation is None
        # the others keep theirs
        assert one.holder.follow() is False
        assert one.routes() == 1
    finally:
        three.engine.dispose()


def test_a_node_that_cannot_see_the_reloads_keeps_its_catalogue(nodes: tuple[Node, Node],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    one, _two = nodes

    def unreachable() -> int | None:
        raise OSError("database unreachable")

    one.holder.read_generation = unreachable
    with caplog.at_level(logging.WARNING, logger="eph.vp.catalogue"):
        assert [one.holder.follow() for _ in range(3)] == [False, False, False]
    assert one.routes() == 1
    assert len([r for r in caplog.records if "cannot see other nodes' reloads" in r.message]) == 1  # not every second
