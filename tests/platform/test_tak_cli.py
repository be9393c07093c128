"""eph tak: importing a real TAK export, exporting, listing, adding and ending rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eph.migrate import upgrade
from tests.support import ROOT

DATA = Path(__file__).resolve().parent.parent / "data"
K = "urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1"


@pytest.fixture()
def tak(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'tak.sqlite3'}"
    upgrade(url)
    env = dict(os.environ, EPH_DATABASE_URL=url)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "eph", "tak", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    return run


def test_import_a_real_export_and_round_trip(tak, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "catalogue version 42 imported: 2 routings, 3 authorizations" in tak("import", str(DATA / "tak-export.json")).stdout
    first = tmp_path / "first.json"
    tak("export", "-o", str(first))
    tak("import", str(first))
    second = tak("export").stdout
    assert second == first.read_text(encoding="utf-8")  # export -> import -> export: identical
    document = json.loads(second)
    assert len(document["data"]["filtercategorization"]) == 2
    assert document["version"] == "42"


def test_an_unreadable_document_imports_nothing(tak, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tak("import", str(DATA / "tak-export.json"))
    before = tak("export").stdout
    document = json.loads((DATA / "tak-export.json").read_text(encoding="utf-8"))
    document["data"]["anropsbehorighet"][0]["fromTidpunkt"] = "yesterday"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    done = tak("import", str(bad), ok=False)
    assert done.returncode == 1
    assert "anropsbehorighet id 501: field 'fromTidpunkt': is not a time" in done.stderr
    document["data"]["anropsbehorighet"][0]["fromTidpunkt"] = "2026-01-01T00:00:00+0100"
    document["data"]["vagval"][1]["relationships"]["anropsadress"] = 999  # no such row
    bad.write_text(json.dumps(document), encoding="utf-8")
    done = tak("import", str(bad), ok=False)
    assert done.returncode == 1
    assert "vagval id 602: no anropsadress with id 999" in done.stderr
    assert tak("export").stdout == before


def test_rows_older_than_the_edit_rules_are_imported_and_listed(tak, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = tak("import", str(DATA / "tak-export-script-dump.json"))
    assert "catalogue version 1187 imported: 7 routings, 3 authorizations" in done.stdout
    assert "6 warning(s)" in done.stderr
    for warning in ("logiskadress id 101: 'Ärendelådan' is not an HSA-id", "logiskadress id 102: 'SE 12345'",
                    "tjanstekomponent id 202: 'Journalsystem Väst' is not an HSA-id",
                    "vagval id 503: overlaps vagval id 502", "anropsbehorighet id 401: overlaps anropsbehorighet id 400"):
        assert warning in done.stderr
    assert "vagval id 501" not in done.stderr  # it starts the instant 500 ends
    # the rules still hold for a new row: a new routing may not overlap, but the old rows do not block it
    refused = tak("add-routing", "--contract", "urn:riv:crm:scheduling:GetSubjectOfCareScheduleResponder:1",
                  "--logical-address", "SE2321000016-A1B2", "--url", "https://x.example/s", "--producer", "SE1-P", ok=False)
    assert refused.returncode == 1
    assert "overlaps vagval id 501" in refused.stderr
    assert "Ärendelådan" not in refused.stderr
    added = tak("add-routing", "--contract", K, "--logical-address", "SE2321000016-NEW1", "--url", "https://x.example/s",
                "--producer", "SE5565594230-EPH")
    assert "vagval 507 added" in added.stdout
    bad_id = tak("add-authorization", "--consumer", "Ny Konsument", "--contract", K, "--logical-address", "SE1-A", ok=False)
    assert "'Ny Konsument' is not an HSA-id" in bad_id.stderr


def test_a_large_published_version_imports(tak, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.tak_documents import published_version

    path = tmp_path / "large.json"
    document = published_version(3000)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = tak("import", str(path))
    routings, grants = len(document["data"]["vagval"]), len(document["data"]["anropsbehorighet"])
    assert f"imported: {routings} routings, {grants} authorizations" in done.stdout
    assert json.loads(tak("export").stdout)["data"]["vagval"][-1]["id"] == document["data"]["vagval"][-1]["id"]


def test_add_list_and_end_rows(tak) -> None:  # type: ignore[no-untyped-def]
    out = tak("add-routing", "--contract", K, "--logical-address", "SE5565594230-EPH", "--url",
              "http://127.0.0.1:8081/eph/x", "--producer", "SE5565594230-EPH", "--from", "2026-01-01T00:00:00+0100").stdout
    assert "vagval 1 added" in out
    overlap = tak("add-routing", "--contract", K, "--logical-address", "se5565594230-eph", "--url", "http://other/x",
                  "--producer", "SE5565594230-EPH", ok=False)
    assert overlap.returncode == 1
    assert "overlaps vagval id 1" in overlap.stderr
    tak("add-authorization", "--consumer", "SE2321000016-LAB1", "--contract", K, "--logical-address", "SE5565594230-EPH")
    assert "SE2321000016-LAB1" in tak("list", "authorizations").stdout
    assert "http://127.0.0.1:8081/eph/x" in tak("list").stdout
    tak("end", "routing", "1")
    assert tak("list").stdout.strip() == ""  # ended: no longer valid now
    assert "http://127.0.0.1:8081/eph/x" in tak("list", "--all").stdout
    # now that it has ended, a new routing for the same key may follow it
    assert "vagval 2 added" in tak("add-routing", "--contract", K, "--logical-address", "SE5565594230-EPH", "--url",
                                   "http://new/x", "--producer", "SE5565594230-EPH").stdout
    missing = tak("end", "authorization", "99", ok=False)
    assert missing.returncode == 1
    assert "no anropsbehorighet with id 99" in missing.stderr


def test_reload_without_a_platform(tak) -> None:  # type: ignore[no-untyped-def]
    done = tak("reload", "--platform", "http://127.0.0.1:9", ok=False)
    assert done.returncode == 1
    assert "no platform answers" in done.stderr
