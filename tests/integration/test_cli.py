"""The eph command as an operator uses it (subprocesses on a SQLite file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT


@pytest.fixture()
def eph(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = dict(os.environ, EPH_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "eph", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    run("db", "upgrade")
    run.url = env["EPH_DATABASE_URL"]  # type: ignore[attr-defined]
    return run


def _url(eph) -> str:  # type: ignore[no-untyped-def]
    return str(eph.url)


def test_seed_demo_only_when_empty(eph) -> None:  # type: ignore[no-untyped-def]
    assert "demo data loaded" in eph("seed-demo", "--if-empty").stdout
    assert "demo data not loaded" in eph("seed-demo", "--if-empty").stdout
    systems = eph("systems", "list").stdout
    for hsa in ("SE2321000016-LAB1", "SE2321000016-PT01", "SE2321000255-LAB1", "SE2321000016-EHR1", "SE5565594230-1177"):
        assert hsa in systems


def test_catalogue_export_import_round_trip(eph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    eph("seed-demo")
    exported = tmp_path / "catalogue.yaml"
    eph("catalog", "export", "-o", str(exported))
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert {e["offerCode"] for e in document["offerDefinitions"]} == {"CTNG", "HBA1C"}
    document["offerDefinitions"][0]["displayName"] = "Nytt namn på erbjudandet"
    as_json = tmp_path / "catalogue.json"
    as_json.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert "0 added, 4 updated" in eph("catalog", "import", str(as_json)).stdout
    again = yaml.safe_load(eph("catalog", "export").stdout)
    assert again == document


def test_a_bad_catalogue_names_entry_and_field_and_imports_nothing(eph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    eph("seed-demo")
    before = eph("catalog", "export").stdout
    document = yaml.safe_load(before)
    document["offerDefinitions"][0]["displayName"] = "changed"
    document["offerDefinitions"].append(dict(document["offerDefinitions"][1], offerCode="NEW", maxOrders=0))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    done = eph("catalog", "import", str(bad), ok=False)
    assert done.returncode == 1
    assert "entry 5 (offerCode NEW): field 'maxOrders': must be an integer from 1 to 1000" in done.stderr
    assert eph("catalog", "export").stdout == before  # nothing changed, not even the good entries


def test_unreadable_file(eph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    broken.write_text("offerDefinitions: [ {", encoding="utf-8")
    done = eph("catalog", "import", str(broken), ok=False)
    assert done.returncode == 1
    assert "cannot read" in done.stderr


def test_units_and_reservnummer_types(eph) -> None:  # type: ignore[no-untyped-def]
    eph("seed-demo")
    added = eph("systems", "add", "SE2321000016-LABHUB", "LAB", "--name", "Lab hub", "--care-giver", "SE2321000016-CG01",
                "--unit", "SE2321000016-LAB1")
    assert added.returncode == 0, added.stderr
    assert "reports for SE2321000016-LAB1" in eph("systems", "list").stdout
    kind = eph("reservnummer", "add", "1.2.752.113.11.0.2.1.1.1", "--care-giver", "SE2321000016-CG01",
               "--name", "Reservnummer VGR", "--pattern", "[0-9]{8}[KMX][0-9]{3}")
    assert kind.returncode == 0, kind.stderr
    listed = eph("reservnummer", "list").stdout
    assert "1.2.752.113.11.0.2.1.1.1" in listed
    assert "1.2.752.97.3.1.3" in listed  # and the demo's
    bad = eph("reservnummer", "add", "1.2.3", "--care-giver", "SE2321000016-CG01", "--name", "x", "--pattern", "([",
              ok=False)
    assert bad.returncode == 1
    assert "regular expression" in bad.stderr

def test_staff_and_signing_key_commands(eph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    eph("seed-demo")
    added = eph("staff", "add", "SE2321000016-CLI1", "--name", "Cilla Kommandorad", "--care-giver",
                "SE2321000016-CG01", "--unit", "SE2321000016-CU01", "--function", "SAMPLING").stdout
    assert "SE2321000016-CU01: SAMPLING" in added
    assert "ASSIGN,SAMPLING" in eph("staff", "grant", "SE2321000016-CLI1", "SE2321000016-CU01", "ASSIGN").stdout
    assert "SE2321000016-CU01: ASSIGN" in eph("staff", "revoke", "SE2321000016-CLI1", "SE2321000016-CU01",
                                              "SAMPLING").stdout
    listing = eph("staff", "list", "--care-giver", "SE2321000016-CG01").stdout
    assert "Cilla Kommandorad" in listing
    assert "Astrid Admin" in listing
    assert "Bodil" not in listing
    assert eph("staff", "add", "SE2321000016-CLI1", "--name", "X", "--care-giver", "SE2321000016-CG01",
               ok=False).returncode == 1
    done = subprocess.run([sys.executable, "-m", "eph", "staff", "password", "SE2321000016-CLI1", "--stdin"],
                          input="kort\n", env=dict(os.environ, EPH_DATABASE_URL=_url(eph)), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "at least 8" in done.stderr

    pem = tmp_path / "ehr.pem"
    pem.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert "registered for SE2321000016-EHR1" in eph("systems", "key", "add", "SE2321000016-EHR1", str(pem),
                                                     "--kid", "k1").stdout
    assert "k1" in eph("systems", "key", "list").stdout
    refused = eph("systems", "key", "add", "SE2321000016-LAB1", str(pem), ok=False)
    assert refused.returncode == 1
    assert "only journal systems" in refused.stderr
    eph("systems", "add", "SE2321000016-EHR1", "EHR", "--name", "Renamed", "--care-giver", "SE2321000016-CG01")
    assert "k1" in eph("systems", "key", "list", "SE2321000016-EHR1").stdout  # re-registering keeps the keys
    assert "removed" in eph("systems", "key", "remove", "SE2321000016-EHR1", "k1").stdout
