"""Value objects to and from the JSON kept in JSON columns: the contract shape of each value
(``service_domain.shapes``), times as ISO 8601 strings. ``None`` stands for an absent value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import shapes
from ..model import Actor, Analysis, Code, DeliveryAddress, LaboratoryResult

Json = dict[str, Any]


def code_to_json(c: Code | None) -> Json | None:
    return None if c is None else shapes.code(c)


def code_from_json(d: Json | None) -> Code | None:
    return None if d is None else shapes.code_from(d)


def analyses_to_json(analyses: tuple[Analysis, ...]) -> list[Json]:
    return [shapes.analysis(a) for a in analyses]


def analyses_from_json(items: list[Json]) -> tuple[Analysis, ...]:
    return tuple(shapes.analysis_from(a) for a in items)


def actor_to_json(a: Actor | None) -> Json | None:
    return None if a is None else shapes.actor(a)


def actor_from_json(d: Json | None) -> Actor | None:
    return None if d is None else shapes.actor_from(d)


def address_to_json(a: DeliveryAddress | None) -> Json | None:
    return None if a is None else shapes.delivery_address(a)


def address_from_json(d: Json | None) -> DeliveryAddress | None:
    return None if d is None else shapes.delivery_address_from(d)


def result_to_json(r: LaboratoryResult) -> Json:
    return shapes.laboratory_result(r, time=datetime.isoformat)


def result_from_json(d: Json) -> LaboratoryResult:
    return shapes.laboratory_result_from(d)
