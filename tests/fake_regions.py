"""A unit of work in memory holding regions, agreements, catalogue entries, orders and result
versions: for the region rules' tests that need no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from service_domain.model import OfferDefinition, Order, StoredResult
from service_domain.model.regions import Agreement, Region
from service_domain.ports import OrderQuery
from tests import fake_outbox


class FakeRegionRepository:
    def __init__(self) -> None:
        self.regions: dict[str, Region] = {}
        self.by_id: dict[str, Agreement] = {}

    def get(self, hsa_id: str) -> Region | None:
        return self.regions.get(hsa_id.upper())

    def put(self, region: Region) -> None:
        self.regions[region.hsa_id.upper()] = region

    def agreements(self, region_id: str | None = None, care_giver: str | None = None) -> list[Agreement]:
        return sorted((a for a in self.by_id.values()
                       if (region_id is None or a.region.upper() == region_id.upper())
                       and (care_giver is None or a.care_giver.upper() == care_giver.upper())),
                      key=lambda a: (a.valid_from, a.agreement_id))

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        return self.by_id.get(agreement_id)

    def put_agreement(self, agreement: Agreement) -> None:
        self.by_id[agreement.agreement_id] = agreement

    def list(self) -> list[Region]:
        return sorted(self.regions.values(), key=lambda r: r.hsa_id)


class FakeDefinitionRepository:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], OfferDefinition] = {}

    def get(self, care_giver: str, offer_code: str) -> OfferDefinition | None:
        return self.entries.get((care_giver.upper(), offer_code))

    def list(self, care_giver: str | None = None, mode: object = None, active_only: bool = True) -> list[OfferDefinition]:
        return [d for (cg, _), d in sorted(self.entries.items())
                if (care_giver is None or cg == care_giver.upper()) and (d.active or not active_only)
                and (mode is None or mode in d.sampling_modes)]

    def upsert(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]:
        added = sum(1 for d in definitions if (d.care_giver.upper(), d.offer_code) not in self.entries)
        for d in definitions:
            self.entries[(d.care_giver.upper(), d.offer_code)] = d
        return added, len(definitions) - added

    def replace_all(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]:
        givers = {d.care_giver.upper() for d in definitions}
        for key, d in list(self.entries.items()):
            if key[0] in givers:
                self.entries[key] = replace(d, active=False)
        return self.upsert(definitions)


class FakeOrderRepository:
    """Orders by row number; ``find`` filters by care giver and creation time only."""

    def __init__(self) -> None:
        self.rows: list[Order] = []

    def find(self, query: OrderQuery, after: int, limit: int) -> list[tuple[int, Order]]:
        found = [(n, o) for n, o in enumerate(self.rows, start=1) if n > after
                 and (query.care_givers is None or o.care_giver.upper() in query.care_givers)
                 and (query.created_from is None or o.created_time >= query.created_from)
                 and (query.created_before is None or o.created_time < query.created_before)]
        return found[:limit]


class FakeResultRepository:
    def __init__(self) -> None:
        self.stored: dict[str, list[StoredResult]] = {}

    def versions(self, order_id: str) -> list[StoredResult]:
        return list(self.stored.get(order_id, []))


class FakeUnitOfWork(fake_outbox.FakeUnitOfWork):
    """What the region rules touch (and the outbox); a commit is counted, the changes are kept either way."""

    def __init__(self) -> None:
        super().__init__()
        self.regions = FakeRegionRepository()
        self.definitions = FakeDefinitionRepository()
        self.orders = FakeOrderRepository()
        self.results = FakeResultRepository()
