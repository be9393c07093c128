"""Value objects to and from the JSON kept in JSON columns (element names of the contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import (
    Actor,
    ActorKind,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    Bound,
    Code,
    DeliveryAddress,
    Interpretation,
    Interval,
    LaboratoryResult,
    Quantity,
    ReportStatus,
    Value,
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
            "codeSystemVersion": c.code_system_version,
            "displayName": c.display_name,
            "originalText": c.original_text,
        }
    )


def code_from_json(d: Json | None) -> Code | None:
    if d is None:
        return None
    return Code(
        d.get("code"), d.get("codeSystem"), d.get("codeSystemName"), d.get("displayName"), d.get("originalText"),
        d.get("codeSystemVersion"),
    )


def _code(d: Json) -> Code:
    c = code_from_json(d)
    assert c is not None
    return c


def analyses_to_json(analyses: tuple[Analysis, ...]) -> list[Json]:
    out = []
    for a in analyses:
        item: Json = {"code": code_to_json(a.code), "displayName": a.display_name}
        if a.positive_values:
            item["positiveValue"] = [code_to_json(p) for p in a.positive_values]
        out.append(item)
    return out


def analyses_from_json(items: list[Json]) -> tuple[Analysis, ...]:
    return tuple(
        Analysis(_code(a["code"]), a["displayName"], tuple(_code(p) for p in a.get("positiveValue", ())))
        for a in items
    )


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


def _bound_to_json(b: Bound | None) -> Json | None:
    return None if b is None else {"value": b.value, "unit": b.unit, "inclusive": b.inclusive}


def _bound_from_json(d: Json | None) -> Bound | None:
    return None if d is None else Bound(str(d["value"]), d["unit"], d.get("inclusive", True))


def interval_to_json(i: Interval | None) -> Json | None:
    if i is None:
        return None
    return _drop_none({"low": _bound_to_json(i.low), "high": _bound_to_json(i.high), "text": i.text})


def interval_from_json(d: Json | None) -> Interval | None:
    if d is None:
        return None
    return Interval(_bound_from_json(d.get("low")), _bound_from_json(d.get("high")), d.get("text"))


def _value_to_json(v: Value | None) -> Json | None:
    if v is None:
        return None
    if isinstance(v, Quantity):
        return {"pq": {"value": v.value, "unit": v.unit}}
    if isinstance(v, Code):
        return {"coded": code_to_json(v)}
    if isinstance(v, Interval):
        return {"interval": interval_to_json(v)}
    return {"text": v}


def _value_from_json(d: Json | None) -> Value | None:
    if d is None:
        return None
    if "pq" in d:
        return Quantity(str(d["pq"]["value"]), d["pq"]["unit"])
    if "coded" in d:
        return _code(d["coded"])
    if "interval" in d:
        return interval_from_json(d["interval"])
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
                        "referenceInterval": interval_to_json(a.reference_interval),
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
    analyses = tuple(
        AnalysisResult(
            code=_code(a["code"]),
            value=_value_from_json(a.get("value")),
            status=AnalysisStatus(a["status"]),
            display_name=a.get("displayName"),
            reference_interval=interval_from_json(a.get("referenceInterval")),
            interpretation=Interpretation(a["interpretation"]) if a.get("interpretation") else None,
            comment=a.get("comment"),
        )
        for a in d["analysisResult"]
    )
    return LaboratoryResult(
        order_id=d["orderId"],
        performing_lab=d["performingLabHSAId"],
        version=d["resultVersion"],
        report_status=ReportStatus(d["reportStatus"]),
        report_time=datetime.fromisoformat(d["reportTime"]),
        analysis_results=analyses,
        laboratory_id=d.get("laboratoryId"),
        signed_by=actor_from_json(d.get("signedBy")),
        comment=d.get("comment"),
        specimen_identifiers=tuple(d.get("specimenIdentifier", ())),
    )
