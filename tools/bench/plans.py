"""How PostgreSQL runs each GetOrders selector: the plan of the one statement that reads a
page and records the read (EXPLAIN, without running it), and which tables it scans how.

Used by `make bench` at every data size and by tests/integration/test_query_plans.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql

from eph import demo
from service_domain.clock import utcnow
from service_domain.enums import OrderStatus
from service_domain.identity import PersonId
from service_domain.model import AuditAction, AuditRecord
from service_domain.operations import Operation
from service_domain.persistence import order_queries
from service_domain.persistence.tables import patient_order
from service_domain.ports import OrderQuery

# the tables a GetOrders page reads: none of them may be read whole
BIG_TABLES = frozenset({"patient_order", "specimen", "order_status_change"})


@dataclass(frozen=True)
class Scan:
    node: str  # "Index Scan", "Seq Scan", ...
    table: str
    index: str | None


@dataclass(frozen=True)
class Plan:
    selector: str
    scans: tuple[Scan, ...]
    text: str

    @property
    def full_scans(self) -> list[Scan]:
        return [s for s in self.scans if s.table in BIG_TABLES and s.index is None]

    @property
    def order_index(self) -> str | None:
        """The index the page of orders is found with."""
        return next((s.index for s in self.scans if s.table == "patient_order" and s.index), None)


def selectors(conn: Connection) -> dict[str, tuple[OrderQuery, int]]:
    """A query of each selector a caller may use, over data in the database, with a paging
    position in the middle of the table (as a lab paging through its orders would be)."""
    c = patient_order.c
    row = conn.execute(select(c.seq, c.patient_id, c.patient_type, c.referral_id, c.order_id, c.performing_lab,
                              c.sampling_unit, c.care_giver).order_by(c.seq).offset(
        conn.execute(select(c.seq).order_by(c.seq.desc()).limit(1)).scalar_one() // 2).limit(1)).one()
    care_givers = frozenset({row.care_giver.upper()})
    patient = PersonId(row.patient_id, row.patient_type)
    return {
        "by lab (paged)": (OrderQuery(performing_lab=row.performing_lab, care_givers=care_givers), row.seq),
        "by lab and status (paged)": (OrderQuery(performing_lab=row.performing_lab, care_givers=care_givers,
                                                 statuses=(OrderStatus.RECEIVED_BY_LAB,)), row.seq),
        "by sampling unit (paged)": (OrderQuery(sampling_unit=row.sampling_unit, care_givers=care_givers), row.seq),
        "by patient": (OrderQuery(patient=patient), 0),
        "by referral code": (OrderQuery(referral_ids=(row.referral_id,), care_givers=care_givers), 0),
        "by order id": (OrderQuery(order_ids=(row.order_id,), care_givers=care_givers), 0),
    }


def explain(conn: Connection, name: str, query: OrderQuery, after: int, limit: int = 11) -> Plan:
    """The plan of GetOrders' statement for ``query`` (EXPLAIN only: nothing is read or written)."""
    stamp = AuditRecord(utcnow(), Operation.GET_ORDERS, AuditAction.READ, "", str(uuid.uuid4()), demo.LAB_A)
    params = order_queries._query_params(query, after, limit)
    assert params is not None
    params.update(order_queries._stamp_params(stamp), returned=limit - 1)
    if query.patient is None:
        params.update(patient_id=None, patient_type=None)
    compiled = order_queries._audited_page_statement(order_queries._shape(query)).compile(dialect=postgresql.psycopg.dialect())
    values = dict(compiled.construct_params(params))
    sql = _expand(compiled.string, values)
    tree = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, values).scalar_one()[0]["Plan"]
    text_ = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, values))
    return Plan(name, tuple(_scans(tree)), text_)


def _expand(sql: str, values: dict[str, Any]) -> str:
    """SQLAlchemy's expanding IN parameters, written as PostgreSQL arrays for EXPLAIN."""
    for key, value in values.items():
        if isinstance(value, list):
            sql = sql.replace(f"IN (__[POSTCOMPILE_{key}])", f"= ANY(%({key})s)")
    return sql


def _scans(node: dict[str, Any]) -> Iterator[Scan]:
    children = node.get("Plans", ())
    if "Relation Name" in node:
        index = node.get("Index Name")
        if node["Node Type"] == "Bitmap Heap Scan":  # its index is read by the bitmap scans below it
            index = ", ".join(_bitmap_indexes(node)) or None
        yield Scan(node["Node Type"], node["Relation Name"], index)
    for child in children:
        yield from _scans(child)


def _bitmap_indexes(node: dict[str, Any]) -> Iterator[str]:
    for child in node.get("Plans", ()):
        if child["Node Type"] == "Bitmap Index Scan":
            yield child["Index Name"]
        elif child["Node Type"] in ("BitmapAnd", "BitmapOr"):
            yield from _bitmap_indexes(child)


def all_plans(conn: Connection) -> list[Plan]:
    return [explain(conn, name, query, after) for name, (query, after) in selectors(conn).items()]
