"""The demo routing catalogue: the self-sampling service behind the platform (its own contracts
and the national GetLaboratoryOrderOutcome, at its logical address), and what
each demo system may call (it fits the system's role in the service's own rules); the
engagement index stand-in (Update and FindContent at its own logical address) and its
subscribers (ProcessNotification, which the index calls)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from consumers.engagement_index.config import ENGAGEMENT_INDEX
from contracts.interactions import (
    FIND_CONTENT,
    NATIONAL_INTERACTIONS,
    PING_FOR_CONFIGURATION,
    PROCESS_NOTIFICATION,
    SELFSAMPLING_INTERACTIONS,
    SERVED_INTERACTIONS,
    UPDATE,
    Interaction,
)
from routing import store
from routing.catalogue import Catalogue
from service_domain import access
from service_domain.model import SystemKind
from service_domain.operations import Operation

from . import AGGREGATOR, EHR_A, SERVICE_ADDRESS, SYSTEMS

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


# Who may call the engagement index: the service keeps its engagements up to date (Update, from
# its outbox); the aggregating service and the journal system find where a patient has content.
ENGAGEMENT_INDEX_CALLERS: dict[Interaction, tuple[str, ...]] = {
    UPDATE: (SERVICE_ADDRESS,),
    FIND_CONTENT: (AGGREGATOR, EHR_A),
}


def demo_subscribers(journal_url: str) -> dict[str, str]:
    """The index's demo subscriber: the journal system of care giver A, notified at its own HSA-id
    (``eph serve ehr-subscriber`` at ``journal_url``)."""
    return {EHR_A: journal_url.rstrip("/") + "/ehr" + PROCESS_NOTIFICATION.path}


def catalogue(service_url: str, now: datetime | None = None, *, engagement_index_url: str | None = None,
              subscribers: Mapping[str, str] | None = None) -> Catalogue:
    """Routings from the service's logical address for every contract it serves, and the authorizations;
    with ``engagement_index_url``, the engagement index's contracts at its logical address and, for each
    subscriber (logical address: URL of its ProcessNotification endpoint), ProcessNotification from the index."""
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
    if engagement_index_url:
        cat = with_engagement_index(cat, engagement_index_url, subscribers or {}, now)
    return replace(cat, version=1, comment="demo catalogue of the self-sampling service")


def with_engagement_index(cat: Catalogue, index_url: str, subscribers: Mapping[str, str], now: datetime) -> Catalogue:
    """The engagement index stand-in's routings and authorizations added to ``cat``."""
    for interaction, callers in ENGAGEMENT_INDEX_CALLERS.items():
        cat, _ = store.with_routing(
            cat, interaction.responder_ns, ENGAGEMENT_INDEX, index_url.rstrip("/") + "/ei" + interaction.path,
            ENGAGEMENT_INDEX, "RIVTABP21", VALID_FROM, VALID_TO, now=now, who="eph seed-demo",
        )
        for caller in callers:
            cat, _ = store.with_authorization(cat, caller, interaction.responder_ns, ENGAGEMENT_INDEX,
                                              VALID_FROM, VALID_TO, now=now, who="eph seed-demo")
    for address, url in subscribers.items():
        ns = PROCESS_NOTIFICATION.responder_ns
        cat, _ = store.with_routing(cat, ns, address, url, address, "RIVTABP21", VALID_FROM, VALID_TO, now=now, who="eph seed-demo")
        cat, _ = store.with_authorization(cat, ENGAGEMENT_INDEX, ns, address, VALID_FROM, VALID_TO, now=now, who="eph seed-demo")
    return cat
