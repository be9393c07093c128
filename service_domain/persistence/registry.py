"""The registry in SQL: the catalogue of offer definitions, the connected systems and their
signing keys, the reservnummer types, and the sampling sites."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Row

from ..model import (
    ConnectedSystem,
    OfferDefinition,
    ReserveNumberType,
    ResultRelease,
    SamplingMode,
    SamplingSite,
    SystemKey,
    SystemKind,
)
from . import codec
from .common import _modes_from_str, _modes_to_str
from .tables import (
    connected_system,
    connected_system_care_giver,
    connected_system_key,
    connected_system_unit,
    offer_definition,
    reserve_number_type,
    sampling_site,
    unit_name,
)

# ---------------------------------------------------------------- catalogue


def _definition_row(d: OfferDefinition) -> dict[str, Any]:
    return {
        "care_giver": d.care_giver.upper(),
        "offer_code": d.offer_code,
        "display_name": d.display_name,
        "analyses": codec.analyses_to_json(d.analyses),
        "sampling_modes": _modes_to_str(d.sampling_modes),
        "specimen_material": codec.code_to_json(d.specimen_material),
        "notifiable": d.notifiable,
        "result_release": d.result_release.value,
        "validity_days": d.validity_days,
        "max_orders": d.max_orders,
        "performing_lab": d.performing_lab,
        "min_age": d.min_age,
        "max_age": d.max_age,
        "patient_instructions": d.patient_instructions,
        "active": d.active,
        "kit_return_days": d.kit_return_days,
        "self_service": d.self_service,
        "self_service_orders_per_year": d.self_service_orders_per_year,
        "accountable_care_unit": d.accountable_care_unit,
    }


def _definition(r: Row[Any]) -> OfferDefinition:
    return OfferDefinition(
        care_giver=r.care_giver,
        offer_code=r.offer_code,
        display_name=r.display_name,
        analyses=codec.analyses_from_json(r.analyses),
        sampling_modes=_modes_from_str(r.sampling_modes),
        notifiable=r.notifiable,
        result_release=ResultRelease(r.result_release),
        validity_days=r.validity_days,
        max_orders=r.max_orders,
        performing_lab=r.performing_lab,
        specimen_material=codec.code_from_json(r.specimen_material),
        min_age=r.min_age,
        max_age=r.max_age,
        patient_instructions=r.patient_instructions,
        active=r.active,
        kit_return_days=r.kit_return_days,
        self_service=r.self_service,
        self_service_orders_per_year=r.self_service_orders_per_year,
        accountable_care_unit=r.accountable_care_unit,
    )


class SqlDefinitionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, care_giver: str, offer_code: str) -> OfferDefinition | None:
        row = self.conn.execute(
            select(offer_definition).where(
                offer_definition.c.care_giver == care_giver.upper(), offer_definition.c.offer_code == offer_code
            )
        ).first()
        return _definition(row) if row else None

    def list(
        self, care_giver: str | None = None, mode: SamplingMode | None = None, active_only: bool = True
    ) -> list[OfferDefinition]:
        q = select(offer_definition).order_by(offer_definition.c.care_giver, offer_definition.c.offer_code)
        if care_giver:
            q = q.where(offer_definition.c.care_giver == care_giver.upper())
        if active_only:
            q = q.where(offer_definition.c.active.is_(True))
        defs = [_definition(r) for r in self.conn.execute(q)]
        return [d for d in defs if mode is None or mode in d.sampling_modes]

    def upsert(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]:
        added = updated = 0
        for d in definitions:
            row = _definition_row(d)
            done = self.conn.execute(
                update(offer_definition)
                .where(
                    offer_definition.c.care_giver == row["care_giver"],
                    offer_definition.c.offer_code == row["offer_code"],
                )
                .values(**row)
            )
            if done.rowcount:
                updated += 1
            else:
                self.conn.execute(insert(offer_definition).values(**row))
                added += 1
        return added, updated

    def replace_all(self, definitions: Sequence[OfferDefinition]) -> tuple[int, int]:
        """The catalogues of the care givers in ``definitions`` become exactly these entries;
        other care givers' catalogues are left as they are."""
        care_givers = sorted({d.care_giver.upper() for d in definitions})
        self.conn.execute(
            update(offer_definition).where(offer_definition.c.care_giver.in_(care_givers)).values(active=False)
        )
        return self.upsert(definitions)


# ---------------------------------------------------------------- connected systems, reservnummer types, sampling sites


class SystemCache:
    """Connected systems found recently, shared by a process's units of work.

    Every call looks up its caller, and registrations change seldom: a system found is
    remembered for ``ttl`` seconds (a changed registration takes effect within that time);
    a system not found is looked up again on every call, so a new one counts at once."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._found: dict[str, tuple[float, ConnectedSystem]] = {}

    def get(self, key: str) -> ConnectedSystem | None:
        hit = self._found.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, key: str, system: ConnectedSystem) -> None:
        self._found[key] = (time.monotonic(), system)

    def forget(self, key: str) -> None:
        self._found.pop(key, None)


class SqlSystemRepository:
    def __init__(self, conn: Connection, cache: SystemCache | None = None) -> None:
        self.conn = conn
        self.cache = cache or SystemCache(ttl=0)

    def _build(self, rows: Sequence[Row[Any]]) -> list[ConnectedSystem]:
        if not rows:
            return []
        ids = [r.hsa_id for r in rows]
        served: dict[str, set[str]] = defaultdict(set)
        for r in self.conn.execute(
            select(connected_system_care_giver).where(connected_system_care_giver.c.hsa_id.in_(ids))
        ):
            served[r.hsa_id].add(r.care_giver)
        units: dict[str, set[str]] = defaultdict(set)
        for r in self.conn.execute(select(connected_system_unit).where(connected_system_unit.c.hsa_id.in_(ids))):
            units[r.hsa_id].add(r.unit)
        return [
            ConnectedSystem(r.hsa_id, SystemKind(r.kind), r.name, frozenset(served[r.hsa_id]), r.all_care_givers,
                            frozenset(units[r.hsa_id]))
            for r in rows
        ]

    def get(self, hsa_id: str) -> ConnectedSystem | None:
        key = hsa_id.upper()
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        rows = self.conn.execute(
            select(connected_system).where(func.upper(connected_system.c.hsa_id) == key)
        ).all()
        found = self._build(rows)
        if found:
            self.cache.put(key, found[0])
        return found[0] if found else None

    def keys(self, hsa_id: str) -> list[SystemKey]:
        q = (
            select(connected_system_key)
            .where(func.upper(connected_system_key.c.hsa_id) == hsa_id.upper())
            .order_by(connected_system_key.c.added_time)
        )
        return [SystemKey(r.hsa_id, r.key_id, r.public_key, r.added_time) for r in self.conn.execute(q)]

    def list(self) -> list[ConnectedSystem]:
        return self._build(self.conn.execute(select(connected_system).order_by(connected_system.c.hsa_id)).all())

    def put(self, system: ConnectedSystem) -> None:
        # updated in place: the system's signing keys hang on its row
        self.cache.forget(system.hsa_id.upper())
        self.conn.execute(delete(connected_system_unit).where(connected_system_unit.c.hsa_id == system.hsa_id))
        self.conn.execute(delete(connected_system_care_giver).where(connected_system_care_giver.c.hsa_id == system.hsa_id))
        values = {"kind": system.kind.value, "name": system.name, "all_care_givers": system.all_care_givers}
        done = self.conn.execute(
            update(connected_system).where(connected_system.c.hsa_id == system.hsa_id).values(**values)
        )
        if not done.rowcount:
            self.conn.execute(insert(connected_system).values(hsa_id=system.hsa_id, **values))
        if system.care_givers:
            self.conn.execute(
                insert(connected_system_care_giver),
                [{"hsa_id": system.hsa_id, "care_giver": c} for c in sorted(system.care_givers)],
            )
        if system.units:
            self.conn.execute(
                insert(connected_system_unit), [{"hsa_id": system.hsa_id, "unit": u} for u in sorted(system.units)]
            )


    def add_key(self, key: SystemKey) -> None:
        self.conn.execute(
            delete(connected_system_key).where(
                connected_system_key.c.hsa_id == key.hsa_id, connected_system_key.c.key_id == key.key_id
            )
        )
        self.conn.execute(
            insert(connected_system_key).values(
                hsa_id=key.hsa_id, key_id=key.key_id, public_key=key.public_key_pem, added_time=key.added_time
            )
        )

    def remove_key(self, hsa_id: str, key_id: str) -> bool:
        done = self.conn.execute(
            delete(connected_system_key).where(
                func.upper(connected_system_key.c.hsa_id) == hsa_id.upper(), connected_system_key.c.key_id == key_id
            )
        )
        return bool(done.rowcount)


class SqlReserveNumberRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _kind(r: Row[Any]) -> ReserveNumberType:
        return ReserveNumberType(r.oid, r.care_giver, r.name, r.pattern)

    def get(self, oid: str) -> ReserveNumberType | None:
        row = self.conn.execute(select(reserve_number_type).where(reserve_number_type.c.oid == oid)).first()
        return self._kind(row) if row else None

    def list(self) -> list[ReserveNumberType]:
        return [self._kind(r) for r in self.conn.execute(select(reserve_number_type).order_by(reserve_number_type.c.oid))]

    def put(self, kind: ReserveNumberType) -> None:
        self.conn.execute(delete(reserve_number_type).where(reserve_number_type.c.oid == kind.oid))
        self.conn.execute(
            insert(reserve_number_type).values(
                oid=kind.oid, care_giver=kind.care_giver.upper(), name=kind.name, pattern=kind.pattern
            )
        )


class SqlUnitNameRepository:
    """The names of care givers and care units by HSA-id (kept in upper case)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, hsa_id: str) -> str | None:
        name = self.conn.execute(select(unit_name.c.name).where(unit_name.c.hsa_id == hsa_id.upper())).scalar()
        return str(name) if name is not None else None

    def list(self) -> dict[str, str]:
        return {r.hsa_id: r.name for r in self.conn.execute(select(unit_name).order_by(unit_name.c.hsa_id))}

    def put(self, hsa_id: str, name: str) -> None:
        self.conn.execute(delete(unit_name).where(unit_name.c.hsa_id == hsa_id.upper()))
        self.conn.execute(insert(unit_name).values(hsa_id=hsa_id.upper(), name=name))


class SqlSamplingSiteRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _site(r: Row[Any]) -> SamplingSite:
        return SamplingSite(r.hsa_id, r.name, r.care_giver, r.street, r.postal_code, r.city, r.performing_lab,
                            r.opening_hours, r.active)

    def get(self, hsa_id: str) -> SamplingSite | None:
        row = self.conn.execute(select(sampling_site).where(func.upper(sampling_site.c.hsa_id) == hsa_id.upper())).first()
        return self._site(row) if row else None

    def for_care_giver(self, care_giver: str | None = None, *, active_only: bool = True) -> list[SamplingSite]:
        q = select(sampling_site).order_by(sampling_site.c.care_giver, sampling_site.c.name)
        if care_giver:
            q = q.where(sampling_site.c.care_giver == care_giver.upper())
        if active_only:
            q = q.where(sampling_site.c.active.is_(True))
        return [self._site(r) for r in self.conn.execute(q)]

    def put(self, site: SamplingSite) -> None:
        values = {
            "name": site.name, "care_giver": site.care_giver.upper(), "street": site.street,
            "postal_code": site.postal_code, "city": site.city, "opening_hours": site.opening_hours,
            "performing_lab": site.performing_lab, "active": site.active,
        }
        done = self.conn.execute(update(sampling_site).where(sampling_site.c.hsa_id == site.hsa_id).values(**values))
        if not done.rowcount:
            self.conn.execute(insert(sampling_site).values(hsa_id=site.hsa_id, **values))
