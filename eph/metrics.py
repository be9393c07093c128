"""Prometheus metrics of servers that run several gunicorn worker processes.

prometheus-client counts across processes in its multiprocess mode: every worker writes its
samples to files in one directory (``PROMETHEUS_MULTIPROC_DIR``) and ``/metrics`` adds them
up. The directory must be chosen before prometheus-client is first imported, so a server
calls ``use_multiprocess_dir`` in the gunicorn master before it starts the workers (and
nothing imports prometheus-client earlier); each start gets a fresh directory, so counts
of an earlier run never leak in. ``gunicorn_hooks`` tells prometheus-client when a worker
died, so its live gauges are dropped (its counts stay in the totals).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(name: str) -> Path:
    """A fresh, empty directory for this server's metrics, set in the environment the workers inherit,
    and removed when this (master) process exits."""
    folder = Path(tempfile.mkdtemp(prefix=f"eph-{name}-metrics-"))
    os.environ[ENV] = str(folder)
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not in a forked worker
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    return folder


def _worker_gone(_arbiter: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def gunicorn_hooks() -> dict[str, Callable[..., None]]:
    """gunicorn settings that keep the metrics directory clean of workers that are gone."""
    return {"child_exit": _worker_gone}


def exposition(default_registry: Any = None) -> tuple[bytes, str]:
    """The metrics of every worker of this server (or of this process alone outside multiprocess
    mode), and the content type to serve them with."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = default_registry or REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
