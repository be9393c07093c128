"""The index push over real HTTP: the outbox of a service database delivers its events with
``SoapIndexPush`` through a running platform (the demo's routing of the engagement index) to a
running ``eph serve engagement-index``; the index is then asked with FindContent, as the
aggregator asks it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from sqlalchemy import create_engine
from zeep.transports import Transport

from consumers.client import Connection, Identity
from consumers.engagement_index.config import ENGAGEMENT_INDEX
from contracts.interactions import FIND_CONTENT, UPDATE
from eph import demo
from eph.demo.routing import VALID_FROM, VALID_TO, with_engagement_index
from eph.migrate import upgrade
from eph.outbox import CATEGORIZATION, SERVICE_DOMAIN, IndexFault, SoapIndexPush, configured_senders
from routing import store
from service_domain.clock import SWEDISH_TZ
from service_domain.identity import PersonId
from service_domain.model import EventKind, EventState, OutboxEvent
from service_domain.persistence.database import Database
from service_domain.services import outbox
from tests.conftest import seeded
from tests.service.conftest import assign, lab_result, new_patient, order, set_result
from tests.support import PlatformProcess, ServiceProcess, free_port, spawn, terminate

# a second address of the same index, routed and authorized on the platform: the index answers
# an Update sent to it with ERROR (EI003, not its own address)
WRONG_ADDRESS = "SE5565594230-EI9"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    folder = Path(tmp_path_factory.mktemp("push"))
    index_port = free_port()
    platform_db = f"sqlite:///{folder / 'platform.sqlite3'}"
    upgrade(platform_db)
    now = datetime.now(UTC)
    cat = with_engagement_index(store.empty(), f"http://127.0.0.1:{index_port}", {}, now)
    cat, _ = store.with_routing(cat, UPDATE.responder_ns, WRONG_ADDRESS,
                                f"http://127.0.0.1:{index_port}/ei{UPDATE.path}", WRONG_ADDRESS, "RIVTABP21",
                                VALID_FROM, VALID_TO, now=now, who="test")
    cat, _ = store.with_authorization(cat, demo.SERVICE_ADDRESS, UPDATE.responder_ns, WRONG_ADDRESS,
                                      VALID_FROM, VALID_TO, now=now, who="test")
    engine = create_engine(platform_db)
    with engine.begin() as conn:
        store.save(conn, cat)
    engine.dispose()
    running = PlatformProcess(platform_db, folder / "platform").start(EPH_VP_PRODUCER_CERT="none")
    index, log_file = spawn("engagement-index", index_port, {
        "EPH_EI_DATABASE_URL": f"sqlite:///{folder / 'index.sqlite3'}",
        "EPH_PLATFORM_URL": running.base_url, "EPH_VP_INSTANCE_ID": running.instance_id,
    }, folder / "index.log")
    yield running
    terminate(index, log_file)
    running.stop()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(seeded(f"sqlite:///{tmp_path_factory.mktemp('push-service') / 'eph.sqlite3'}"))
    yield database
    database.dispose()


def push(platform: PlatformProcess, address: str = ENGAGEMENT_INDEX) -> SoapIndexPush:
    """The push as the running service configures it (development identity headers)."""
    return SoapIndexPush(configured_connection(platform, address))


def configured_connection(platform: PlatformProcess, address: str) -> Connection:
    senders = configured_senders({"EPH_INDEX_PUSH": "1", "EPH_INDEX_PUSH_PLATFORM_URL": platform.base_url,
                                  "EPH_VP_INSTANCE_ID": platform.instance_id, "EPH_INDEX_LOGICAL_ADDRESS": address})
    sender = senders[EventKind.INDEX_UPDATE]
    assert isinstance(sender, SoapIndexPush)
    return sender.connection


def released_result(db: Database) -> tuple[PersonId, OutboxEvent]:
    """A patient whose result was stored and released at once, and the outbox event of it."""
    p = new_patient()
    oid = order(db, p, assign(db, p, "HBA1C")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    with db.uow() as uow:
        (event,) = [e for e in uow.outbox.list(EventState.PENDING, 100_000) if e.payload.order_id == oid]
    return p, event


def deliver(db: Database, sender: SoapIndexPush) -> outbox.DeliveryRound:
    return outbox.deliver_due(db.uow(), {EventKind.INDEX_UPDATE: sender}, datetime.now(UTC), "test-worker")


def find(platform: PlatformProcess, patient: PersonId) -> list[Any]:
    session = requests.Session()
    session.headers.update({"x-vp-sender-id": demo.AGGREGATOR, "x-vp-instance-id": platform.instance_id})
    client = zeep.Client(str(FIND_CONTENT.wsdl_path), transport=Transport(session=session),
                         settings=zeep.Settings(strict=True))
    service = client.create_service(f"{{{FIND_CONTENT.wsdl_ns}}}FindContentResponderBinding",
                                    f"{platform.base_url}/vp{FIND_CONTENT.path}")
    answer = service.FindContent(_soapheaders={"LogicalAddress": ENGAGEMENT_INDEX},
                                 registeredResidentIdentification=patient.id, serviceDomain=SERVICE_DOMAIN,
                                 categorization=CATEGORIZATION)
    return list(answer.engagement or [])


@pytest.fixture(scope="module")
def delivered(platform: PlatformProcess, db: Database) -> tuple[PersonId, OutboxEvent, outbox.DeliveryRound, Any]:
    """A released result's event delivered by the outbox, and the engagement the index then has."""
    patient, event = released_result(db)
    done = deliver(db, push(platform))
    (found,) = find(platform, patient)
    return patient, event, done, found


def test_the_outbox_delivers_a_released_result_s_event(delivered: tuple[Any, ...]) -> None:
    assert delivered[2].delivered == 1


def test_the_delivered_event_is_recorded_as_delivered(delivered: tuple[Any, ...], db: Database) -> None:
    with db.uow() as uow:
        assert uow.outbox.get(delivered[1].event_id).state is EventState.DELIVERED  # type: ignore[union-attr]


def test_the_engagement_is_in_the_results_domain(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].serviceDomain == "riv:clinicalprocess:healthcond:actoutcome"


def test_the_engagement_is_categorized_as_laboratory_outcomes(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].categorization == "und-kkm-ure"


def test_the_engagement_points_to_the_service(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].logicalAddress == demo.SERVICE_ADDRESS


def test_the_service_is_the_source_system(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].sourceSystem == demo.SERVICE_ADDRESS


def test_the_data_controller_is_the_care_giver_s_organisation(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].dataController == "SE" + demo.CARE_GIVER_A[2:].split("-")[0]


def test_the_order_is_not_part_of_the_engagement(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].businessObjectInstanceIdentifier == "NA"


def test_no_clinical_process_interest_is_given(delivered: tuple[Any, ...]) -> None:
    assert delivered[3].clinicalProcessInterestId == "NA"


def test_the_most_recent_content_is_when_the_result_changed(delivered: tuple[Any, ...]) -> None:
    changed = delivered[1].payload.most_recent_content.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S")
    assert delivered[3].mostRecentContent == changed


def test_delivering_an_event_twice_leaves_one_engagement(platform: PlatformProcess, db: Database) -> None:
    patient, event = released_result(db)
    sender = push(platform)
    sender.send(event)
    sender.send(event)
    assert len(find(platform, patient)) == 1


@pytest.fixture(scope="module")
def refused(platform: PlatformProcess, db: Database) -> OutboxEvent:
    """A released result's event after one round of delivery to an index that answers ERROR."""
    deliver(db, push(platform))  # what earlier tests left
    _, event = released_result(db)
    deliver(db, push(platform, WRONG_ADDRESS))
    with db.uow() as uow:
        after = uow.outbox.get(event.event_id)
    assert after is not None
    return after


def test_an_event_the_index_answers_error_to_waits_for_another_try(refused: OutboxEvent) -> None:
    assert refused.state is EventState.PENDING


def test_the_answer_error_counts_as_a_failed_attempt(refused: OutboxEvent) -> None:
    assert refused.attempts == 1


def test_the_failed_attempt_says_the_index_refused(refused: OutboxEvent) -> None:
    assert refused.last_error == "IndexRefused"


def test_the_refused_event_is_tried_again_later(refused: OutboxEvent) -> None:
    assert refused.next_attempt > refused.created_time


def test_a_platform_that_cannot_be_reached_makes_the_event_wait(platform: PlatformProcess, db: Database) -> None:
    deliver(db, push(platform))
    _, event = released_result(db)
    gone = Connection(Identity(demo.SERVICE_ADDRESS, instance_id=platform.instance_id),
                      f"http://127.0.0.1:{free_port()}", ENGAGEMENT_INDEX, timeout=5)
    deliver(db, SoapIndexPush(gone))
    with db.uow() as uow:
        after = uow.outbox.get(event.event_id)
    assert after is not None  # the event is kept
    assert after.last_error == "IndexUnreachable"


def test_a_platform_fault_fails_the_send(platform: PlatformProcess, db: Database) -> None:
    _, event = released_result(db)
    stranger = SoapIndexPush(Connection(Identity(demo.AGGREGATOR, instance_id=platform.instance_id),
                                        platform.base_url, ENGAGEMENT_INDEX, timeout=10))
    with pytest.raises(IndexFault):  # the aggregator is not authorized to Update (VP007)
        stranger.send(event)


def test_without_the_switch_the_service_has_no_sender() -> None:
    assert configured_senders({}) == {}


# ------------------------------------------------------------------ the push in a running service

@pytest.fixture(scope="module")
def running_service(platform: PlatformProcess, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[tuple[ServiceProcess, Database]]:
    """``eph serve service`` with the index push on (development identity headers), its outbox
    worker delivering every 0.2 s; the test writes results straight to its database."""
    folder = Path(tmp_path_factory.mktemp("push-running"))
    url = seeded(f"sqlite:///{folder / 'eph.sqlite3'}")
    service = ServiceProcess(url, folder / "service.log").start(
        EPH_OUTBOX_SECONDS="0.2", EPH_INDEX_PUSH="1", EPH_INDEX_PUSH_PLATFORM_URL=platform.base_url,
        EPH_VP_INSTANCE_ID=platform.instance_id)
    database = Database(url)
    yield service, database
    database.dispose()
    service.stop()


@pytest.fixture(scope="module")
def pushed(platform: PlatformProcess, running_service: tuple[ServiceProcess, Database]) -> tuple[PersonId, list[Any]]:
    """A released result stored in the running service, and what FindContent finds of its patient
    once the service's worker has pushed it (or 20 s have passed)."""
    patient, _ = released_result(running_service[1])
    deadline = time.monotonic() + 20
    while not (found := find(platform, patient)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return patient, found


def test_a_running_service_pushes_a_released_result_to_the_index(pushed: tuple[PersonId, list[Any]]) -> None:
    assert [e.sourceSystem for e in pushed[1]] == [demo.SERVICE_ADDRESS]


def test_the_running_service_logs_no_personnummer_of_the_push(pushed: tuple[PersonId, list[Any]],
                                                              running_service: tuple[ServiceProcess, Database]) -> None:
    assert pushed[0].id not in running_service[0].log_text()


# ------------------------------------------------------------------ a round in one Update


@pytest.fixture(scope="module")
def one_update(platform: PlatformProcess, db: Database) -> tuple[list[PersonId], list[OutboxEvent]]:
    """Three released results (two patients, one of them twice) sent as one round's batch."""
    deliver(db, push(platform))  # what earlier tests left
    first, a = released_result(db)
    second, b = released_result(db)
    oid = order(db, first, assign(db, first, "HBA1C")).order_id
    assert oid
    set_result(db, lab_result(oid, 1))
    with db.uow() as uow:
        (c,) = [e for e in uow.outbox.list(EventState.PENDING, 100_000) if e.payload.order_id == oid]
    push(platform).send_batch([a, b, c])
    return [first, second], [a, b, c]


def test_a_batch_reaches_the_index_for_every_patient(platform: PlatformProcess,
                                                     one_update: tuple[list[PersonId], list[OutboxEvent]]) -> None:
    assert [len(find(platform, p)) for p in one_update[0]] == [1, 1]


def test_two_events_of_one_engagement_in_a_batch_are_one_engagement_with_the_latest_content(
        platform: PlatformProcess, one_update: tuple[list[PersonId], list[OutboxEvent]]) -> None:
    latest = max(one_update[1][0].payload.most_recent_content, one_update[1][2].payload.most_recent_content)
    (found,) = find(platform, one_update[0][0])
    assert found.mostRecentContent == latest.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S")
