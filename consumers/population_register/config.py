"""Settings of the population register stand-in (``EPH_POPULATION_REGISTER_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEV_TOKEN = "eph-population-dev"  # the development bearer token (EPH_POPULATION_TOKEN of the demo)
DEFAULT_BIND = "127.0.0.1:8087"
DEMO_REGION = "SE2321000016-CG01"  # the demo's region (care giver A)


def _region(value: str | None) -> str | None:
    if value is None or not value.strip():
        return DEMO_REGION
    return None if value.strip().lower() == "none" else value.strip()


@dataclass(frozen=True)
class PopulationRegisterStandInConfig:
    bind: str = field(default_factory=lambda: os.environ.get("EPH_POPULATION_REGISTER_BIND") or DEFAULT_BIND)
    token: str = field(default_factory=lambda: os.environ.get("EPH_POPULATION_REGISTER_TOKEN") or DEV_TOKEN,
                       repr=False)
    # the home region of a number the stand-in does not hold: it answers such a number as a test
    # person living there, so that any valid personnummer works in development as before the
    # register; "none": such a number is unknown (404)
    everyone_in: str | None = field(default_factory=lambda: _region(os.environ.get("EPH_POPULATION_REGISTER_EVERYONE_IN")))
    # the register is kept in the memory of one process: one worker, some threads
    threads: int = field(default_factory=lambda: int(os.environ.get("EPH_POPULATION_REGISTER_THREADS") or "4"))
