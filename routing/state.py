"""The catalogue the router works with, and where it came from.

At start a worker reads the catalogue from the database; when that fails it falls back to
the local copy of the last good catalogue (a TAK published-version document written after
every successful load). With neither, every call gets VP008 until a reload succeeds. A
reload that fails leaves the catalogue in force unchanged. Workers of one platform share
the local copy: a reload in one worker rewrites it, and the others pick it up.

Several platform nodes on one database (each with a local copy of its own) follow each
other through the database: a reload asked of one node (``POST /reload``) records a new
reload generation there (``routing.store.announce_reload``), and every worker of every
node polls that number and reads the catalogue again when it has grown. Starting does not
announce anything: a catalogue edited but not reloaded stays out of force on the nodes
already running.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .catalogue import Catalogue
from .lookup import HsaTree, RoutingTable
from .takjson import parse, to_document

log = logging.getLogger("eph.vp.catalogue")


@dataclass(frozen=True)
class Loaded:
    table: RoutingTable
    source: str  # "database" or "local copy"
    loaded_at: datetime
    version: int


class CatalogueHolder:
    def __init__(
        self,
        read_database: Callable[[], Catalogue | None],
        local_copy: Path,
        hsa: Callable[[], HsaTree] = HsaTree,
        read_generation: Callable[[], int | None] | None = None,
        announce: Callable[[int], int] | None = None,
    ) -> None:
        """``read_generation`` reads the newest reload's number from the database and ``announce``
        records a reload of the given catalogue version there, returning the new number; without
        them a reload reaches only the workers that share the local copy."""
        self.read_database = read_database
        self.local_copy = local_copy
        self.hsa = hsa
        self.read_generation = read_generation
        self.announce = announce
        self.generation: int | None = None  # the reload generation the catalogue in force follows
        self._generation_failing = False
        self._failed_generation: int | None = None
        self.current: Loaded | None = None
        self.last_error: str | None = None
        self._local_copy_mtime = 0.0
        # a reload and the follower of the local copy run in threads of their own: one at a time,
        # so an older copy read by the follower cannot replace a newer reload
        self._lock = threading.Lock()

    @property
    def table(self) -> RoutingTable | None:
        return self.current.table if self.current else None

    def _take(self, cat: Catalogue, source: str) -> Loaded:
        self.current = Loaded(RoutingTable.build(cat, self.hsa()), source, datetime.now(UTC), cat.version)
        return self.current

    def reload(self) -> Loaded:
        """Read the catalogue from the database and put it in force, and tell the other nodes;
        raises (leaving the old one) on failure."""
        with self._lock:
            before: int | None
            try:
                before = self._read_generation() or 0  # no reload recorded yet: 0
            except Exception:
                before = None  # unknown: read again after announcing, to be safe
            loaded = self._reload()
            if self.announce is not None:
                try:
                    self.generation = self.announce(loaded.version)
                except Exception as e:  # in force here; the other nodes follow on the next reload
                    log.error("catalogue: reloaded, but the other nodes were not told (%s)", type(e).__name__)
                else:
                    if before is None or self.generation != before + 1:
                        # another node announced a reload between our look and ours: what it put in
                        # force may be newer than what we read, and we will not follow our own number
                        loaded = self._reload()
            return loaded

    def _reload(self) -> Loaded:
        try:
            cat = self.read_database()
        except Exception as e:
            self.last_error = f"database unreachable ({type(e).__name__})"
            raise
        if cat is None:
            self.last_error = "the database holds no catalogue"
            raise LookupError(self.last_error)
        loaded = self._take(cat, "database")
        self.last_error = None
        self._write_local_copy(cat)
        return loaded

    def start(self) -> Loaded | None:
        try:
            with self._lock:
                try:  # read first: a reload elsewhere after this look is followed, not missed
                    self.generation = self._read_generation()
                except Exception as e:  # the catalogue may still be readable; follow_database retries
                    log.warning("catalogue: cannot see other nodes' reloads (%s)", type(e).__name__)
                    self._generation_failing = True
                return self._reload()
        except Exception:
            log.warning("catalogue: %s; trying the local copy", self.last_error)
        try:
            return self._read_local_copy()
        except FileNotFoundError:
            log.error("catalogue: no local copy either; calls get VP008 until a reload succeeds")
        except Exception as e:
            log.error("catalogue: the local copy is unusable (%s)", type(e).__name__)
        return None

    def _read_generation(self) -> int | None:
        return self.read_generation() if self.read_generation is not None else None

    def follow_database(self) -> bool:
        """Read the catalogue again if a node reloaded since this worker last did. Returns whether it did."""
        if self.read_generation is None:
            return False
        with self._lock:
            try:
                generation = self._read_generation()
            except Exception as e:
                if not self._generation_failing:  # once per outage, not once a second
                    log.warning("catalogue: cannot see other nodes' reloads (%s)", type(e).__name__)
                    self._generation_failing = True
                return False
            if self._generation_failing:
                log.info("catalogue: other nodes' reloads are visible again")
                self._generation_failing = False
            if generation is None or generation == self.generation:
                return False
            try:
                loaded = self._reload()
            except Exception:  # tried again each second; said once for each reload
                if generation != self._failed_generation:
                    log.error("catalogue: another node reloaded, but reading the catalogue failed: %s", self.last_error)
                    self._failed_generation = generation
                return False
            self.generation = generation
            log.info("catalogue: version %s in force, after a reload on another node or worker", loaded.version)
            return True

    def follow(self) -> bool:
        """Take what another node or worker reloaded: from the database, else from the local copy."""
        return self.follow_database() or self.follow_local_copy()

    def follow_local_copy(self) -> bool:
        """Take the local copy if another worker wrote a newer one. Returns whether it did."""
        with self._lock:
            return self._follow_local_copy()

    def _follow_local_copy(self) -> bool:
        try:
            mtime = self.local_copy.stat().st_mtime
        except FileNotFoundError:
            return False
        if mtime <= self._local_copy_mtime:
            return False
        try:
            # only a successful reload from the database writes the local copy
            self._read_local_copy("database")
        except Exception as e:
            log.error("catalogue: the local copy is unusable (%s)", type(e).__name__)
            return False
        return True

    def _read_local_copy(self, source: str = "local copy") -> Loaded:
        mtime = self.local_copy.stat().st_mtime
        cat = parse(json.loads(self.local_copy.read_text(encoding="utf-8")))
        self._local_copy_mtime = mtime
        return self._take(cat, source)

    def _write_local_copy(self, cat: Catalogue) -> None:
        try:
            self.local_copy.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.local_copy.parent, prefix=".tak-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(to_document(cat), f, ensure_ascii=False)
            os.replace(tmp, self.local_copy)
            self._local_copy_mtime = self.local_copy.stat().st_mtime
        except OSError as e:
            log.error("catalogue: could not write the local copy (%s)", type(e).__name__)

    def status(self) -> dict[str, object]:
        c = self.current
        return {
            "state": "loaded" if c else "not loaded",
            "source": c.source if c else None,
            "version": c.version if c else None,
            "routings": c.table.routing_count if c else 0,
            "authorizations": c.table.authorization_count if c else 0,
            "loadedAt": c.loaded_at.isoformat() if c else None,
            "lastError": self.last_error,
            "reloadGeneration": self.generation,
        }

