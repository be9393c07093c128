"""``eph region`` and ``eph agreement`` as an operator uses them (subprocesses on a SQLite file)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.integration.test_cli import eph  # noqa: F401  (the fixture)

REGION, PRIVATE = "SE2321000032-CG01", "SE5560000001-CG77"


def entry(code: str) -> dict[str, object]:
    return {"careGiverHSAId": PRIVATE, "offerCode": code, "displayName": "Test",
            "analysis": [{"code": "NPU27300", "displayName": "HbA1c"}], "samplingMode": ["SITE"],
            "notifiable": False, "resultRelease": "IMMEDIATE", "validityDays": 10, "maxOrders": 1,
            "performingLabHSAId": "SE2321000016-LAB1"}


def test_a_region_its_agreement_and_its_catalogues_limit(eph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    eph("region", "add", REGION, "--name", "Region Test", "--phone", "010-123 45 67",
        "--offer-code", "HBA1C", "--analysis", "NPU27300")
    assert "HBA1C" in eph("region", "show", REGION).stdout
    added = eph("agreement", "add", REGION, PRIVATE, "--from", "2026-01-01").stdout
    agreement_id = added.split()[1].rstrip(":")
    assert "2026-12-31" in eph("agreement", "end", agreement_id, "--on", "2026-12-31").stdout
    listed = eph("agreement", "list", "--care-giver", PRIVATE).stdout
    assert f"{agreement_id}\t{REGION}\t{PRIVATE}\tprivate\t2026-01-01\t2026-12-31" in listed
    document = tmp_path / "catalogue.yaml"
    document.write_text(yaml.safe_dump({"offerDefinitions": [entry("OUTSIDE")]}), encoding="utf-8")
    refused = eph("catalog", "import", str(document), ok=False)
    assert "refused: the region's catalogue does not allow offer code OUTSIDE" in refused.stderr
    stats = eph("region", "stats", REGION, "--month", "2026-11").stdout
    assert "total\t0\t0\t0" in stats  # no orders: nobody to hide, so the sums show 0


def test_an_overlapping_agreement_is_refused(eph) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    eph("region", "add", REGION, "--name", "Region Test")
    eph("agreement", "add", REGION, PRIVATE, "--from", "2026-01-01")
    refused = eph("agreement", "add", REGION, PRIVATE, "--from", "2027-01-01", ok=False)
    assert "refused: the care giver has an agreement for part of that period" in refused.stderr
