"""The demo routing catalogue: the self-sampling service behind the platform (its own contracts
and the national GetLaboratoryOrderOutcome, at its logical address), and what
each demo system may call (it fits the system's role in the service's own rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from contracts.interactions import (
    NATIONAL_INTERACTIONS,
    PING_FOR_CONFIGURATION,
    SELFSAMPLING_INTERACTIONS,
    SERVED_INTERACTIONS,
    Interaction,
)
from routing import store
from routing.catalogue import Catalogue
from service_domain import access
from service_domain.model import SystemKind
from service_domain.operations import Operation

from . import SERVICE_ADDRESS, SYSTEMS

VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
VALID_TO = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)


def roles() -> dict[str, tuple[Interaction, ...]]:
    """What each demo system may call: the interactions the service lets its kind of system
    make (``service_domain.access``), the national results contract included (journal systems
    and the aggregating service); lab systems also check that the service answers."""
    return {
        system.hsa_id: tuple(i for i in SELFSAMPLING_INTERACTIONS + NATIONAL_INTERACTIONS if system.kind in access.INTERACTIONS_BY_KIND[Operation(i.name)])
        + ((PING_FOR_CONFIGURATION,) if system.kind is SystemKind.LAB else ())
        for system in SYSTEMS
    }


def catalogue(service_url: str, now: datetime | None = None) -> Catalogue:
    """Routings from the service's logical address for every contract it serves, and the authorizations."""
    now = now or datetime.now(UTC)
    cat = store.empty()
    for interaction in SERVED_INTERACTIONS:
        cat, _ = store.with_routing(
            cat, interaction.responder_ns, SERVICE_ADDRESS, service_url.rstrip("/") + interaction.url_path,
            SERVICE_ADDRESS, "RIVTABP21", VALID_FROM, VALID_TO, now=now, who="eph seed-demo",
        )
    for consumer, interactions in roles().items():
        for interaction in interactions:
            cat, _ = store.with_authorization(
                cat, consumer, interaction.responder_ns, SERVICE_ADDRESS, VALID_FROM, VALID_TO,
                now=now, who="eph seed-demo",
            )
    return replace(cat, version=1, comment="demo catalogue of the self-sampling service")
