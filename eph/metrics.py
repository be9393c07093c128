"""Prometheus metrics across gunicorn worker processes.

Each server start gets a fresh directory for prometheus-client's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``), set before any worker imports the client; a worker that
exits is marked dead so that its gauges stop counting, while its counters and histograms
keep what they counted. ``/metrics`` merges every worker's files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(server: str) -> Path:
    """A fresh, empty directory for one server's metric files; set in the environment."""
    base = Path(os.environ.get("EPH_METRICS_DIR") or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"eph-metrics-{server}-", dir=base))
    os.environ[ENV] = str(folder)
    return folder


def remove_multiprocess_dir() -> None:
    folder = os.environ.get(ENV)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def worker_exited(pid: int) -> None:
    """For gunicorn's ``child_exit`` hook."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def exposition() -> tuple[bytes, str]:
    """The metrics of every worker of this server, in the Prometheus text format."""
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        REGISTRY,
        CollectorRegistry,
        generate_latest,
        multiprocess,
    )

    if os.environ.get(ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
