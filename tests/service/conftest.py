"""Fixtures and helpers of the service-layer tests: a migrated, seeded SQLite database per
module (and a PostgreSQL one with EPH_TEST_POSTGRES=1) and the calls as the demo systems make them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eph import demo
from service_domain import commands, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    DeliveryAddress,
    Interpretation,
    LaboratoryResult,
    OfferDefinition,
    OrderStatus,
    Quantity,
    ReportStatus,
    ResultRelease,
    SamplingMode,
    Specimen,
)
from service_domain.persistence.database import Database
from tests.conftest import TEST_POSTGRES, _new_postgres_database, seeded
from tests.support import person_number

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STAFF = Actor(ActorKind.STAFF, "SE2321000016-ST01")
ADDRESS = DeliveryAddress("Test Person", "Gatan 1", "111 22", "Stockholm")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('svc')) / 'eph.sqlite3'}")
    database = Database(url)
    services.import_catalogue(database.uow(), CallContext.operator(utcnow()), [
            OfferDefinition(
                care_giver=demo.CARE_GIVER_A,
                offer_code="REVIEW",
                display_name="Reviewed test",
                analyses=demo.HBA1C and (demo.HBA1C,),
                sampling_modes=(SamplingMode.SITE,),
                notifiable=False,
                result_release=ResultRelease.AFTER_REVIEW,
                validity_days=10,
                max_orders=1,
                performing_lab=demo.LAB_A,
            )
        ],
    )
    yield database
    database.dispose()


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)] if TEST_POSTGRES else ["sqlite"])
def backend_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database with the demo data per module, once per backend (for the modules
    whose rules lean on the database: queries, locks, case-insensitive HSA-ids): SQLite, and
    PostgreSQL as well with EPH_TEST_POSTGRES=1 (tests/conftest.py)."""
    if request.param == "sqlite":
        database = Database(seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('svc')) / 'eph.sqlite3'}"))
        yield database
        database.dispose()
        return
    for url in _new_postgres_database():
        database = Database(seeded(url))
        yield database
        database.dispose()


def ctx(consumer: str, now: datetime = NOW) -> commands.CallContext:
    return commands.CallContext(log_id=str(uuid.uuid4()), consumer=consumer, now=now)


def new_patient(born: date = date(1990, 1, 1)) -> PersonId:
    return PersonId(person_number(born))


def assign(db: Database, patient: PersonId, code: str = "CTNG", **kw: object) -> str:
    out = services.assign_offer(
        db.uow(),
        ctx(demo.EHR_A),
        commands.AssignOffer(patient, code, demo.CARE_GIVER_A, demo.CARE_UNIT_A, STAFF, **kw),  # type: ignore[arg-type]
    )
    assert out.offer_id
    return out.offer_id


def order(db: Database, patient: PersonId, offer_id: str, mode: SamplingMode = SamplingMode.SITE) -> services.WriteOutcome:
    return services.create_order(
        db.uow(),
        ctx(demo.CITIZEN_SERVICE),
        commands.CreateOrder(offer_id, patient, mode, delivery_address=ADDRESS if mode is SamplingMode.HOME_KIT else None),
    )


def lab_result(order_id: str, version: int, report: ReportStatus = ReportStatus.FINAL, value: str = "41",
               interpretation: Interpretation | None = Interpretation.NORMAL) -> LaboratoryResult:
    return LaboratoryResult(
        order_id=order_id,
        performing_lab=demo.LAB_A,
        version=version,
        report_status=report,
        report_time=NOW - timedelta(minutes=5),
        analysis_results=(
            AnalysisResult(demo.HBA1C.code, Quantity(value, "mmol/mol"), AnalysisStatus.FINAL,
                           interpretation=interpretation),
        ),
    )


def set_result(db: Database, r: LaboratoryResult) -> services.WriteOutcome:
    return services.set_result(db.uow(), ctx(demo.LAB_A), commands.SetResult(r))


def positive_ctng(db: Database, patient: PersonId) -> str:
    """A home kit order of the chlamydia offer with a positive result: held, a follow-up case open."""
    oid = order(db, patient, assign(db, patient), SamplingMode.HOME_KIT).order_id
    assert oid
    set_result(db, replace(lab_result(oid, 1), analysis_results=(
        AnalysisResult(demo.CHLAMYDIA.code, demo.DETECTED, AnalysisStatus.FINAL, interpretation=Interpretation.POSITIVE),)))
    return oid


def status(db: Database, order_id: str, s: OrderStatus, consumer: str = demo.LAB_A, **kw: object) -> services.WriteOutcome:
    specimens = kw.pop("specimens", (Specimen("BC-" + order_id[:8]),) if s is OrderStatus.SPECIMEN_COLLECTED else ())
    return services.set_order_status(
        db.uow(),
        ctx(consumer),
        commands.SetOrderStatus(order_id, s, NOW - timedelta(hours=1), Actor(ActorKind.SYSTEM, consumer),
                                demo.LAB_A, specimens=specimens, **kw),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def reviewed(backend_db: Database) -> str:
    """A catalogue entry without age limits whose results staff release (AFTER_REVIEW); its code."""
    services.import_catalogue(backend_db.uow(), CallContext.operator(utcnow()), [
        OfferDefinition(care_giver=demo.CARE_GIVER_A, offer_code="REVIEWED", display_name="Reviewed test",
                        analyses=(demo.HBA1C,), sampling_modes=(SamplingMode.SITE,), notifiable=False,
                        result_release=ResultRelease.AFTER_REVIEW, validity_days=10, max_orders=1,
                        performing_lab=demo.LAB_A)])
    return "REVIEWED"
