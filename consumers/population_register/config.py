"""Settings of the population register stand-in (``EPH_POPULATION_REGISTER_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEV_TOKEN = "eph-population-dev"  # the development bearer token (EPH_POPULATION_TOKEN of the demo)
DEFAULT_BIND = "127.0.0.1:8087"


@dataclass(frozen=True)
class PopulationRegisterStandInConfig:
    bind: str = field(default_factory=lambda: os.environ.get("EPH_POPULATION_REGISTER_BIND") or DEFAULT_BIND)
    token: str = field(default_factory=lambda: os.environ.get("EPH_POPULATION_REGISTER_TOKEN") or DEV_TOKEN,
                       repr=False)
    # the register is kept in the memory of one process: one worker, some threads
    threads: int = field(default_factory=lambda: int(os.environ.get("EPH_POPULATION_REGISTER_THREADS") or "4"))
