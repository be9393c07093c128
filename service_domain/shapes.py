"""One mapping per value object to and from its contract shape.

The contract shape of a value is a plain dict keyed by the element names of its XSD type
(``wsdl/schemas/core_components``): ``code`` is a CVType, ``actor`` an ActorType, ``quantity``
a PQType and so on. Absent optional elements (None) and empty repeating ones are left out.
Each writer has a reader, ``*_from``, that takes the shape back; the producers (the wire),
the persistence codec (JSON columns) and the catalogue document go through these, so a value
object is mapped in one place. (The consumer command line, which knows only the contracts,
reads a result file through the contract binding into the same shape, and leaves it to the
XSD to judge.)

Times are what differs between the users: TimeStampType on the wire, ISO 8601 in storage.
The writers that hold a time take ``time``, what to write a datetime as (by default the
datetime itself); the readers take ``time``, how to read one back (by default a datetime,
or an ISO 8601 string).

A reader refuses what is not the shape (``ShapeError``, a ValueError that names the type
and the element): a value that is not a mapping, a missing required element, an unknown
enumeration value, a value with more than one of pq, text, coded and interval. What the
schema leaves optional it reads as None (or ``()`` for a repeating element), whether the key
is absent or None. It does not apply the service's rules (``checks``): a CVType without a
code is still a Code here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from .enums import ActorKind, AnalysisStatus, Interpretation, ReportStatus
from .identity import PersonId
from .model import (
    Actor,
    Analysis,
    AnalysisResult,
    Bound,
    Code,
    DeliveryAddress,
    Interval,
    LaboratoryResult,
    Quantity,
    SamplingSite,
    Specimen,
    Value,
)

Shape = dict[str, Any]
TimeOut = Callable[[datetime], Any]
TimeIn = Callable[[Any, str], datetime]
_E = TypeVar("_E", bound=Enum)

# the elements of AnalysisResultType's choice of value
VALUE_ELEMENTS = ("pq", "text", "coded", "interval")


class ShapeError(ValueError):
    """Data that is not the contract shape of the value it is read as."""


def _as_is(moment: datetime) -> datetime:
    return moment


def read_time(value: Any, what: str) -> datetime:
    """A datetime as it is, or one written in ISO 8601."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ShapeError(f"{what} is not a date and time: {value!r}")


def _shape(d: Mapping[str, Any]) -> Shape:
    """The elements that are given: None and empty lists left out."""
    return {k: v for k, v in d.items() if v is not None and v != []}


def _mapping(d: Any, type_name: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise ShapeError(f"{type_name} is read from a mapping, not {type(d).__name__}")
    return d


def _required(d: Mapping[str, Any], key: str, type_name: str) -> Any:
    value = d.get(key)
    if value is None:
        raise ShapeError(f"{type_name} has no {key}")
    return value


def _enum(kind: type[_E], value: Any, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise ShapeError(f"{what} is not one of {', '.join(str(m.value) for m in kind)}: {value!r}") from None


def _many(d: Mapping[str, Any], key: str) -> list[Any]:
    """A repeating element: absent, None or a list."""
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ShapeError(f"{key} repeats: it is read from a list, not {type(value).__name__}")
    return list(value)


def _optional(reader: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else reader(value)


# ------------------------------------------------------------------ PersonIdType


def person(p: PersonId) -> Shape:
    return {"id": p.id, "type": p.type}


def person_from(d: Any) -> PersonId:
    d = _mapping(d, "PersonIdType")
    return PersonId(_required(d, "id", "PersonIdType"), _required(d, "type", "PersonIdType"))


# ------------------------------------------------------------------ CVType


def code(c: Code) -> Shape:
    return _shape(
        {
            "code": c.code,
            "codeSystem": c.code_system,
            "codeSystemName": c.code_system_name,
            "codeSystemVersion": c.code_system_version,
            "displayName": c.display_name,
            "originalText": c.original_text,
        }
    )


def code_from(d: Any) -> Code:
    d = _mapping(d, "CVType")
    return Code(
        d.get("code"), d.get("codeSystem"), d.get("codeSystemName"), d.get("displayName"), d.get("originalText"),
        d.get("codeSystemVersion"),
    )


# ------------------------------------------------------------------ ActorType


def actor(a: Actor) -> Shape:
    return _shape({"actorType": a.kind.value, "id": a.id, "name": a.name})


def actor_from(d: Any) -> Actor:
    d = _mapping(d, "ActorType")
    kind = _enum(ActorKind, _required(d, "actorType", "ActorType"), "ActorType.actorType")
    return Actor(kind, _required(d, "id", "ActorType"), d.get("name"))


# ------------------------------------------------------------------ PQType, PQIntervalType


def quantity(q: Quantity) -> Shape:
    return {"value": q.value, "unit": q.unit}


def quantity_from(d: Any) -> Quantity:
    d = _mapping(d, "PQType")
    return Quantity(str(_required(d, "value", "PQType")), _required(d, "unit", "PQType"))


def bound(b: Bound) -> Shape:
    return {"value": b.value, "unit": b.unit, "inclusive": b.inclusive}


def bound_from(d: Any) -> Bound:
    """PQIntervalBoundType; an end is inclusive unless it says otherwise."""
    d = _mapping(d, "PQIntervalBoundType")
    inclusive = d.get("inclusive")
    return Bound(
        str(_required(d, "value", "PQIntervalBoundType")),
        _required(d, "unit", "PQIntervalBoundType"),
        True if inclusive is None else bool(inclusive),
    )


def interval(i: Interval) -> Shape:
    return _shape(
        {"low": _optional(bound, i.low), "high": _optional(bound, i.high), "text": i.text}
    )


def interval_from(d: Any) -> Interval:
    d = _mapping(d, "PQIntervalType")
    return Interval(_optional(bound_from, d.get("low")), _optional(bound_from, d.get("high")), d.get("text"))


# ------------------------------------------------------------------ the value of an analysis result


def value(v: Value) -> Shape:
    """The choice of AnalysisResultType: one of pq, text, coded and interval."""
    if isinstance(v, Quantity):
        return {"pq": quantity(v)}
    if isinstance(v, Code):
        return {"coded": code(v)}
    if isinstance(v, Interval):
        return {"interval": interval(v)}
    return {"text": v}


def value_from(d: Any) -> Value | None:
    """The value an AnalysisResultType (or only its choice) gives, or None."""
    d = _mapping(d, "AnalysisResultType")
    given = [key for key in VALUE_ELEMENTS if d.get(key) is not None]
    if len(given) > 1:
        raise ShapeError(f"AnalysisResultType has one value, not {' and '.join(given)}")
    if not given:
        return None
    key = given[0]
    if key == "pq":
        return quantity_from(d[key])
    if key == "coded":
        return code_from(d[key])
    if key == "interval":
        return interval_from(d[key])
    return str(d[key])


# ------------------------------------------------------------------ AnalysisType


def analysis(a: Analysis) -> Shape:
    return _shape(
        {"code": code(a.code), "displayName": a.display_name, "positiveValue": [code(p) for p in a.positive_values]}
    )


def analysis_from(d: Any) -> Analysis:
    d = _mapping(d, "AnalysisType")
    return Analysis(
        code_from(_required(d, "code", "AnalysisType")),
        _required(d, "displayName", "AnalysisType"),
        tuple(code_from(p) for p in _many(d, "positiveValue")),
    )


# ------------------------------------------------------------------ results


def analysis_result(a: AnalysisResult) -> Shape:
    return _shape(
        {
            "code": code(a.code),
            "displayName": a.display_name,
            **(value(a.value) if a.value is not None else {}),
            "referenceInterval": _optional(interval, a.reference_interval),
            "interpretation": a.interpretation.value if a.interpretation else None,
            "status": a.status.value,
            "comment": a.comment,
        }
    )


def analysis_result_from(d: Any) -> AnalysisResult:
    d = _mapping(d, "AnalysisResultType")
    interpretation = d.get("interpretation")
    return AnalysisResult(
        code=code_from(_required(d, "code", "AnalysisResultType")),
        value=value_from(d),
        status=_enum(AnalysisStatus, _required(d, "status", "AnalysisResultType"), "AnalysisResultType.status"),
        display_name=d.get("displayName"),
        reference_interval=_optional(interval_from, d.get("referenceInterval")),
        interpretation=_enum(Interpretation, interpretation, "AnalysisResultType.interpretation")
        if interpretation
        else None,
        comment=d.get("comment"),
    )


def laboratory_result(r: LaboratoryResult, time: TimeOut = _as_is) -> Shape:
    return _shape(
        {
            "orderId": r.order_id,
            "laboratoryId": r.laboratory_id,
            "performingLabHSAId": r.performing_lab,
            "resultVersion": r.version,
            "reportStatus": r.report_status.value,
            "reportTime": time(r.report_time),
            "signedBy": _optional(actor, r.signed_by),
            "comment": r.comment,
            "specimenIdentifier": list(r.specimen_identifiers),
            "analysisResult": [analysis_result(a) for a in r.analysis_results],
        }
    )


def laboratory_result_from(d: Any, time: TimeIn = read_time) -> LaboratoryResult:
    d = _mapping(d, "LaboratoryResultType")
    status = _required(d, "reportStatus", "LaboratoryResultType")
    version = _required(d, "resultVersion", "LaboratoryResultType")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ShapeError(f"LaboratoryResultType.resultVersion is not an integer: {version!r}")
    return LaboratoryResult(
        order_id=_required(d, "orderId", "LaboratoryResultType"),
        performing_lab=_required(d, "performingLabHSAId", "LaboratoryResultType"),
        version=version,
        report_status=_enum(ReportStatus, status, "LaboratoryResultType.reportStatus"),
        report_time=time(_required(d, "reportTime", "LaboratoryResultType"), "reportTime"),
        analysis_results=tuple(analysis_result_from(a) for a in _many(d, "analysisResult")),
        laboratory_id=d.get("laboratoryId"),
        signed_by=_optional(actor_from, d.get("signedBy")),
        comment=d.get("comment"),
        specimen_identifiers=tuple(_many(d, "specimenIdentifier")),
    )


# ------------------------------------------------------------------ orders and sampling sites


def specimen(s: Specimen, time: TimeOut = _as_is) -> Shape:
    return _shape(
        {
            "identifier": s.identifier,
            "material": _optional(code, s.material),
            "collectedTime": _optional(time, s.collected_time),
        }
    )


def specimen_from(d: Any, time: TimeIn = read_time) -> Specimen:
    d = _mapping(d, "SpecimenType")
    collected = d.get("collectedTime")
    return Specimen(
        _required(d, "identifier", "SpecimenType"),
        _optional(code_from, d.get("material")),
        None if collected is None else time(collected, "collectedTime"),
    )


def delivery_address(a: DeliveryAddress) -> Shape:
    return {"name": a.name, "street": a.street, "postalCode": a.postal_code, "city": a.city}


def delivery_address_from(d: Any) -> DeliveryAddress:
    d = _mapping(d, "DeliveryAddressType")
    return DeliveryAddress(*(_required(d, key, "DeliveryAddressType") for key in ("name", "street", "postalCode", "city")))


def site_address(site: SamplingSite) -> Shape:
    """The AddressType of a sampling site (the site keeps street, postal code and city itself)."""
    return {"street": site.street, "postalCode": site.postal_code, "city": site.city}

