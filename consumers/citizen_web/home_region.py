"""Whose self-service offers a patient sees: those of their home region, as the population
register says. The citizen web asks through this seam (a callable from the patient's
personnummer to the region's HSA-id, or None when there is none to show); the composition root
wires the real register. Without a register the configured region is every patient's, as
before regions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("eph.citizen_web")

HomeRegion = Callable[[str], "str | None"]


def configured(region: str) -> HomeRegion:
    """Every patient's home region is ``region`` (no register configured)."""
    return lambda personnummer: region


def from_register(lookup: Callable[[str], Any]) -> HomeRegion:
    """The home region from the register: ``lookup(personnummer)`` answers a record with
    ``home_region`` (or None when the register does not know the person). A person the register
    gives no region, or a register that cannot be reached, gets no self-service offers (the
    service would refuse them: it checks the home region too); nothing of the person is logged."""

    def home_region(personnummer: str) -> str | None:
        try:
            record = lookup(personnummer)
        except Exception as e:  # the register's outage must not take the offers page down
            log.warning("home region lookup failed %s", type(e).__name__)
            return None
        return getattr(record, "home_region", None) if record is not None else None

    return home_region
