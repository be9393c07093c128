"""The demo routing catalogue: the self-sampling service behind the platform, and what
each demo system may call (it fits the system's role in the service's own rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from contracts.interactions import (
    ALL_INTERACTIONS,
    ASSIGN_OFFER,
    CANCEL_ORDER,
    CREATE_ORDER,
    GET_OFFER_CATALOG,
    GET_OFFERS,
    GET_ORDERS,
    GET_RESULTS,
    PING_FOR_CONFIGURATION,
    REVOKE_OFFER,
    SET_ORDER_STATUS,
    SET_RESULT,
    Interaction,
)
from routing import store
from routing.catalogue import Catalogue
from service_domain import demo

VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
VALID_TO = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)

ROLES: dict[str, tuple[Interaction, ...]] = {
    demo.LAB_A: (GET_ORDERS, SET_ORDER_STATUS, SET_RESULT, PING_FOR_CONFIGURATION),
    demo.LAB_B: (GET_ORDERS, SET_ORDER_STATUS, SET_RESULT, PING_FOR_CONFIGURATION),
    demo.SAMPLING_A: (GET_ORDERS, SET_ORDER_STATUS),
    demo.EHR_A: (GET_OFFER_CATALOG, ASSIGN_OFFER, REVOKE_OFFER, GET_OFFERS, GET_ORDERS, CANCEL_ORDER, GET_RESULTS),
    demo.CITIZEN_SERVICE: (GET_OFFER_CATALOG, GET_OFFERS, CREATE_ORDER, GET_ORDERS, CANCEL_ORDER, GET_RESULTS),
}


def catalogue(service_url: str, now: datetime | None = None) -> Catalogue:
    """Routings from the service's logical address for every contract it serves, and the authorizations."""
    now = now or datetime.now(UTC)
    cat = store.empty()
    for interaction in ALL_INTERACTIONS:
        cat, _ = store.with_routing(
            cat, interaction.responder_ns, demo.SERVICE_ADDRESS, service_url.rstrip("/") + interaction.url_path,
            demo.SERVICE_ADDRESS, "RIVTABP21", VALID_FROM, VALID_TO, now=now, who="eph seed-demo",
        )
    for consumer, interactions in ROLES.items():
        for interaction in interactions:
            cat, _ = store.with_authorization(
                cat, consumer, interaction.responder_ns, demo.SERVICE_ADDRESS, VALID_FROM, VALID_TO,
                now=now, who="eph seed-demo",
            )
    return replace(cat, version=1, comment="demo catalogue of the self-sampling service")
