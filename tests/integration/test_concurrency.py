"""Concurrent SetResult for one order on PostgreSQL: one row per version, only documented answers."""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from eph import demo
from service_domain import commands, services
from service_domain.identity import PersonId
from service_domain.model import Actor, ActorKind, SamplingMode
from service_domain.persistence.database import Database, SqlUnitOfWork
from service_domain.persistence.tables import lab_result
from service_domain.ports import OrderQuery
from tests.integration.test_workflow import STAFF, hba1c_result, ok
from tests.support import ServiceProcess, Soap, patient, person_number

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

THREADS = 8


def test_concurrent_set_result_for_one_order(service: ServiceProcess, db: Database) -> None:
    p = patient()
    ehr, citizen = Soap(service.base_url, demo.EHR_A), Soap(service.base_url, demo.CITIZEN_SERVICE)
    offer = ok(ehr("AssignOffer", patientId=p, offerCode="HBA1C", careGiverHSAId=demo.CARE_GIVER_A,
                   accountableCareUnit=demo.CARE_UNIT_A, assignedBy=STAFF)).offerId
    order_id = ok(citizen("CreateOrder", offerId=offer, patientId=p, samplingMode="SITE")).orderId

    # threads 0-3 send versions 1..4 (same content per version), 4-5 send versions 2 and 3 again
    # identically, 6-7 send versions 2 and 3 with other content
    plan = [(1, "45"), (2, "45"), (3, "45"), (4, "45"), (2, "45"), (3, "45"), (2, "99"), (3, "99")]
    clients = [Soap(service.base_url, demo.LAB_A, tag=f"thread{n}") for n in range(THREADS)]
    for c in clients:
        c.service("SetResult")  # build the clients before the race
    barrier = threading.Barrier(THREADS)
    answers: list[Any] = [None] * THREADS
    errors: list[str] = []

    def send(n: int) -> None:
        version, value = plan[n]
        try:
            barrier.wait()
            answers[n] = clients[n]("SetResult", laboratoryResult=hba1c_result(order_id, version, "PRELIMINARY", value)).result
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=send, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    outcomes = Counter((a.resultCode, a.errorCode, a.subCode) for a in answers)
    documented = {("OK", None, None), ("INFO", None, None), ("ERROR", "APPLICATION_ERROR", "EPH005")}
    assert set(outcomes) <= documented, outcomes
    assert outcomes[("OK", None, None)] >= 1

    with db.engine.connect() as conn:
        rows = conn.execute(
            select(lab_result.c.version, func.count()).where(lab_result.c.order_id == order_id).group_by(lab_result.c.version)
        ).all()
    per_version = dict(rows)
    assert per_version
    assert set(per_version.values()) == {1}  # exactly one row per stored version
    assert outcomes[("OK", None, None)] == len(per_version)  # one OK per stored row
    with db.uow() as uow:
        stored = {v.result.version: str(v.result.analysis_results[0].value.value) for v in uow.results.versions(order_id)}
    for n, (version, value) in enumerate(plan):
        code = (answers[n].resultCode, answers[n].subCode)
        if stored.get(version) == value:
            assert code in (("OK", None), ("INFO", None)), (n, code)
        else:  # another content won this version, or a newer version came first
            assert code == ("ERROR", "EPH005"), (n, code)



def test_paging_never_passes_an_order_committed_late(db: Database) -> None:
    """Row numbers are taken at insert and seen at commit. A client paging through sees the orders in
    row-number order and passes none: an order whose transaction took an earlier number and commits
    late is not skipped by a page that ends after a later number."""
    lab = f"SE2321000016-P{uuid.uuid4().hex[:8].upper()}"  # a lab of this test's own
    now = datetime.now(UTC)

    def context(consumer: str) -> commands.CallContext:
        return commands.CallContext(str(uuid.uuid4()), consumer, now)

    def new_offer() -> tuple[PersonId, str]:
        p = PersonId(person_number(date(1980, 1, 1)))
        out = services.assign_offer(db.uow(), context(demo.EHR_A), commands.AssignOffer(
            p, "HBA1C", demo.CARE_GIVER_A, demo.CARE_UNIT_A, Actor(ActorKind.STAFF, "SE2321000016-ST01")))
        assert out.offer_id
        return p, out.offer_id

    def create(p: PersonId, offer_id: str, uow: SqlUnitOfWork | None = None) -> str:
        out = services.create_order(uow or db.uow(), context(demo.CITIZEN_SERVICE),
                                    commands.CreateOrder(offer_id, p, SamplingMode.SITE, performing_lab=lab))
        assert out.order_id
        return out.order_id

    created = [create(*new_offer()), create(*new_offer())]  # two orders, committed
    inserted, release = threading.Event(), threading.Event()

    class CommitsLate(SqlUnitOfWork):
        def commit(self) -> None:
            inserted.set()
            release.wait(30)
            super().commit()

    late, others = new_offer(), [new_offer() for _ in range(2)]
    writers = [threading.Thread(target=lambda: created.append(create(*late, uow=CommitsLate(db))))]
    writers[0].start()
    assert inserted.wait(30)  # the late order has its row number; its transaction is still open
    writers += [threading.Thread(target=lambda po=po: created.append(create(*po))) for po in others]
    for t in writers[1:]:
        t.start()
    time.sleep(1.0)  # the others commit now, unless they have to wait for the open transaction

    seen: list[str] = []
    token = None
    while True:
        page = services.get_orders(db.uow(), context(demo.LAB_A), commands.GetOrders(
            performing_lab=lab, max_results=1, continuation_token=token))
        seen += [o.order_id for o in page.orders]
        token = page.continuation_token
        if len(seen) == 3 or not token:
            # the late transaction commits while the client is between pages (or has finished)
            release.set()
            for t in writers:
                t.join(30)
        if not token:
            break
    release.set()
    for t in writers:
        t.join(30)
    with db.uow() as uow:
        everything = [o.order_id for _, o in uow.orders.find(OrderQuery(performing_lab=lab), 0, 100)]
    assert sorted(everything) == sorted(created)
    assert len(everything) == 5
    # the client saw the orders in row-number order, none passed
    assert seen == everything[: len(seen)], "a page passed an order that was committed late"
