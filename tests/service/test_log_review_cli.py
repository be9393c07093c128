"""``eph audit`` and ``eph staff person-id`` in-process over a seeded SQLite file: the operator
searches a care giver's audit records, lists the flags, marks one reviewed, exports CSV; the
personal identity number is read from standard input and never printed."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date
from pathlib import Path

import pytest

from eph import demo
from eph.cli import main
from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.persistence.database import Database
from service_domain.staff import StaffActing
from tests.conftest import seeded
from tests.support import person_number

NURSE = "SE2321000016-SSK1"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('cli')) / 'eph.sqlite3'}")


@pytest.fixture()
def read_patient(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EPH_DATABASE_URL", url)
    number = person_number(date(1966, 2, 2))
    db = Database(url)
    ctx = CallContext(str(uuid.uuid4()), demo.STAFF_WEB, utcnow(), staff=StaffActing(NURSE, demo.CARE_UNIT_A))
    services.patient_view(db.uow(), ctx, PersonId(number))
    db.dispose()
    return number


def eph(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_a_search_by_patient_lists_the_read(read_patient: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = eph(capsys, "audit", "search", "--care-giver", demo.CARE_GIVER_A, "--patient", read_patient)
    assert re.search(rf"{read_patient} +READ +PatientView +{NURSE}", out)


def test_a_flag_is_listed_and_marked_reviewed(read_patient: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = eph(capsys, "audit", "flags", "--care-giver", demo.CARE_GIVER_A, "--patient", read_patient,
              "--rule", "NO_RELATION")
    record = re.search(rf"NO_RELATION +(\d+) .*{read_patient}", out)
    assert record
    eph(capsys, "audit", "review", "--care-giver", demo.CARE_GIVER_A, "--rule", "NO_RELATION", "--record",
        record.group(1), "--by", "SE2321000016-LOG1", "--note", "Kontrollerad")
    out = eph(capsys, "audit", "flags", "--care-giver", demo.CARE_GIVER_A, "--patient", read_patient,
              "--rule", "NO_RELATION")
    assert "reviewed by SE2321000016-LOG1" in out


def test_the_export_is_csv(read_patient: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = eph(capsys, "audit", "export", "--care-giver", demo.CARE_GIVER_A, "--patient", read_patient)
    assert out.splitlines()[1].split(";")[1] == read_patient


def test_the_personal_identity_number_comes_from_standard_input(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EPH_DATABASE_URL", url)
    number = person_number(date(1977, 7, 7))
    monkeypatch.setattr("sys.stdin", io.StringIO(number + "\n"))
    out = eph(capsys, "staff", "person-id", NURSE)
    db = Database(url)
    member = services.find_staff_member(db.uow(), NURSE)
    db.dispose()
    assert (member is not None and member.person_id == number, number in out) == (True, False)
