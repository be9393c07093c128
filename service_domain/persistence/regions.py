"""Regions and their agreements with care givers (HSA-ids kept in upper case)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import Row

from ..model.regions import Agreement, Region
from .tables import region, region_agreement


def _region(r: Row) -> Region:
    return Region(r.hsa_id, r.name, r.phone, r.email, frozenset(r.offer_codes), frozenset(r.analyses))


def _agreement(r: Row) -> Agreement:
    return Agreement(r.agreement_id, r.region, r.care_giver, r.valid_from, r.valid_to, r.own)


class SqlRegionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, hsa_id: str) -> Region | None:
        row = self.conn.execute(select(region).where(region.c.hsa_id == hsa_id.upper())).first()
        return _region(row) if row else None

    def put(self, r: Region) -> None:
        values = {"name": r.name, "phone": r.phone, "email": r.email,
                  "offer_codes": sorted(r.offer_codes), "analyses": sorted(r.analyses)}
        if not self.conn.execute(update(region).where(region.c.hsa_id == r.hsa_id.upper()).values(**values)).rowcount:
            self.conn.execute(insert(region).values(hsa_id=r.hsa_id.upper(), **values))

    def agreements(self, region_id: str | None = None, care_giver: str | None = None) -> list[Agreement]:
        q = select(region_agreement).order_by(region_agreement.c.valid_from, region_agreement.c.agreement_id)
        if region_id is not None:
            q = q.where(region_agreement.c.region == region_id.upper())
        if care_giver is not None:
            q = q.where(region_agreement.c.care_giver == care_giver.upper())
        return [_agreement(r) for r in self.conn.execute(q)]

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        row = self.conn.execute(
            select(region_agreement).where(region_agreement.c.agreement_id == agreement_id)).first()
        return _agreement(row) if row else None

    def put_agreement(self, a: Agreement) -> None:
        self.conn.execute(delete(region_agreement).where(region_agreement.c.agreement_id == a.agreement_id))
        self.conn.execute(insert(region_agreement).values(
            agreement_id=a.agreement_id, region=a.region.upper(), care_giver=a.care_giver.upper(),
            valid_from=a.valid_from, valid_to=a.valid_to, own=a.own))

    def list(self) -> list[Region]:
        return [_region(r) for r in self.conn.execute(select(region).order_by(region.c.hsa_id))]
