"""Concurrent SetResult for one order on PostgreSQL: one row per version, only documented answers."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from service_domain import demo
from service_domain.persistence.database import Database
from service_domain.persistence.tables import lab_result
from tests.integration.test_workflow import STAFF, hba1c_result, ok
from tests.support import ServiceProcess, Soap, patient

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
    errors: list[BaseException] = []

    def send(n: int) -> None:
        version, value = plan[n]
        try:
            barrier.wait()
            answers[n] = clients[n]("SetResult", laboratoryResult=hba1c_result(order_id, version, "PRELIMINARY", value)).result
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

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
    assert per_version and set(per_version.values()) == {1}  # exactly one row per stored version
    assert outcomes[("OK", None, None)] == len(per_version)  # one OK per stored row
    with db.uow() as uow:
        stored = {v.result.version: str(v.result.analysis_results[0].value.value) for v in uow.results.versions(order_id)}
    for n, (version, value) in enumerate(plan):
        code = (answers[n].resultCode, answers[n].subCode)
        if stored.get(version) == value:
            assert code in (("OK", None), ("INFO", None)), (n, code)
        else:  # another content won this version, or a newer version came first
            assert code == ("ERROR", "EPH005"), (n, code)
