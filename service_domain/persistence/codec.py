"""Value objects to and from the JSON kept in JSON columns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..model import (
    Actor,
    ActorKind,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    Code,
    DeliveryAddress,
    Interpretation,
    LaboratoryResult,
    Quantity,
    ReferenceInterval,
    ReportStatus,
)

Json = dict[str, Any]


def _drop_none(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None}


def code_to_json(c: Code | None) -> Json | None:
    if c is None:
        return None
    return _drop_none(
        {
            "code": c.code,
            "codeSystem": c.code_system,
            "codeSystemName": c.code_system_name,
            "displayName": c.display_name,
            "originalText": c.original_text,
        }
    )


def code_from_json(d: Json | None) -> Code | None:
    if d is None:
        return None
    return Code(d["code"], d["codeSystem"], d.get("codeSystemName"), d.get("displayName"), d.get("originalText"))


def analyses_to_json(analyses: tuple[Analysis, ...]) -> list[Json]:
    return [{"code": code_to_json(a.code), "displayName": a.display_name} for a in analyses]


def analyses_from_json(items: list[Json]) -> tuple[Analysis, ...]:
    return tuple(Analysis(code_from_json(a["code"]), a["displayName"]) for a in items)  # type: ignore[arg-type]


def actor_to_json(a: Actor | None) -> Json | None:
    if a is None:
        return None
    return _drop_none({"actorType": a.kind.value, "id": a.id, "name": a.name})


def actor_from_json(d: Json | None) -> Actor | None:
    if d is None:
        return None
    return Actor(ActorKind(d["actorType"]), d["id"], d.get("name"))


def address_to_json(a: DeliveryAddress | None) -> Json | None:
    if a is None:
        return None
    return {"name": a.name, "street": a.street, "postalCode": a.postal_code, "city": a.city}


def address_from_json(d: Json | None) -> DeliveryAddress | None:
    if d is None:
        return None
    return DeliveryAddress(d["name"], d["street"], d["postalCode"], d["city"])


def _dec(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def _undec(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def _value_to_json(v: Quantity | str | Code) -> Json:
    if isinstance(v, Quantity):
        return {"pq": {"value": str(v.value), "unit": v.unit}}
    if isinstance(v, Code):
        return {"coded": code_to_json(v)}
    return {"text": v}


def _value_from_json(d: Json) -> Quantity | str | Code:
    if "pq" in d:
        return Quantity(Decimal(d["pq"]["value"]), d["pq"]["unit"])
    if "coded" in d:
        c = code_from_json(d["coded"])
        assert c is not None
        return c
    return str(d["text"])


def result_to_json(r: LaboratoryResult) -> Json:
    return _drop_none(
        {
            "orderId": r.order_id,
            "laboratoryId": r.laboratory_id,
            "performingLabHSAId": r.performing_lab,
            "resultVersion": r.version,
            "reportStatus": r.report_status.value,
            "reportTime": r.report_time.isoformat(),
            "signedBy": actor_to_json(r.signed_by),
            "comment": r.comment,
            "specimenIdentifier": list(r.specimen_identifiers),
            "analysisResult": [
                _drop_none(
                    {
                        "code": code_to_json(a.code),
                        "displayName": a.display_name,
                        "value": _value_to_json(a.value),
                        "referenceInterval": None
                        if a.reference_interval is None
                        else _drop_none(
                            {
                                "low": _dec(a.reference_interval.low),
                                "high": _dec(a.reference_interval.high),
                                "unit": a.reference_interval.unit,
                                "text": a.reference_interval.text,
                            }
                        ),
                        "interpretation": a.interpretation.value if a.interpretation else None,
                        "status": a.status.value,
                        "comment": a.comment,
                    }
                )
                for a in r.analysis_results
            ],
        }
    )


def result_from_json(d: Json) -> LaboratoryResult:
    analyses = []
    for a in d["analysisResult"]:
        ri = a.get("referenceInterval")
        code = code_from_json(a["code"])
        assert code is not None
        analyses.append(
            AnalysisResult(
                code=code,
                value=_value_from_json(a["value"]),
                status=AnalysisStatus(a["status"]),
                display_name=a.get("displayName"),
                reference_interval=None
                if ri is None
                else ReferenceInterval(_undec(ri.get("low")), _undec(ri.get("high")), ri.get("unit"), ri.get("text")),
                interpretation=Interpretation(a["interpretation"]) if a.get("interpretation") else None,
                comment=a.get("comment"),
            )
        )
    return LaboratoryResult(
        order_id=d["orderId"],
        performing_lab=d["performingLabHSAId"],
        version=d["resultVersion"],
        report_status=ReportStatus(d["reportStatus"]),
        report_time=datetime.fromisoformat(d["reportTime"]),
        analysis_results=tuple(analyses),
        laboratory_id=d.get("laboratoryId"),
        signed_by=actor_from_json(d.get("signedBy")),
        comment=d.get("comment"),
        specimen_identifiers=tuple(d.get("specimenIdentifier", ())),
    )
