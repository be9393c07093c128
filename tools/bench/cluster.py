"""A PostgreSQL cluster of the run's own (``make faults`` restarts it under load)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support import free_port


def _pg_bin() -> Path:
    configured = os.environ.get("EPH_PG_BIN")
    candidates = [Path(configured)] if configured else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    found = shutil.which("pg_config")
    if found:
        bindir = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip()
        if bindir:
            candidates.append(Path(bindir))
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise RuntimeError("initdb and pg_ctl not found (set EPH_PG_BIN to PostgreSQL's bin folder)")


@dataclass
class Cluster:
    """A throw-away PostgreSQL cluster on a free port (initdb into a temporary folder), so a
    restart under load touches nobody else's database. As root it runs as user postgres."""

    folder: Path
    port: int
    bin: Path
    as_user: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database(self, name: str) -> str:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def pg_ctl(self, *args: str) -> float:
        """Run pg_ctl (waiting for it); returns the seconds it took."""
        started = time.monotonic()
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-w", *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - started

    def restart(self) -> float:
        return self.pg_ctl("restart", "-m", "fast")


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    pg = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="eph-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    cluster = Cluster(folder, port, pg, as_user)
    try:
        subprocess.run([*as_user, str(pg / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8", "--locale", "C"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        cluster.pg_ctl("start", "-l", str(folder / "server.log"), "-o", options)
        yield cluster
    finally:
        try:
            cluster.pg_ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(folder, ignore_errors=True)
