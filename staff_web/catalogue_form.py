"""The catalogue editor's form and the catalogue document: one entry is built from what was
typed, as a document entry, and checked by ``catalogue.parse_document``, the reading the file
import and ``eph catalog import`` use; the form has no rules of its own. The way back fills the
form from a stored entry, every field of the document included.

The form's data is the nested mapping WTForms gives (``form.data``): top-level names of
``DefinitionForm``, codes as mappings of ``CODE_FIELDS``, analyses as a list of mappings with
``code``, ``display_name`` and ``positives`` (a list of codes). Rows left empty are not part of
the entry, so emptying a row removes it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service_domain import catalogue
from service_domain.model import Code, OfferDefinition

# form name -> CVType element name
CODE_FIELDS = {
    "code": "code", "code_system": "codeSystem", "display_name": "displayName",
    "code_system_name": "codeSystemName", "code_system_version": "codeSystemVersion",
    "original_text": "originalText",
}
# document element -> form name, for the fields that are one input each
SCALARS = {
    "offerCode": "offer_code", "displayName": "display_name", "samplingMode": "sampling_modes",
    "notifiable": "notifiable", "resultRelease": "result_release", "validityDays": "validity_days",
    "maxOrders": "max_orders", "performingLabHSAId": "performing_lab", "minAge": "min_age",
    "maxAge": "max_age", "patientInstructions": "patient_instructions", "kitReturnDays": "kit_return_days",
    "selfService": "self_service", "selfServiceOrdersPerYear": "self_service_orders_per_year",
    "accountableCareUnit": "accountable_care_unit", "active": "active",
}
_NUMBERS = ("validityDays", "maxOrders", "minAge", "maxAge", "kitReturnDays", "selfServiceOrdersPerYear")
_TRIMMED = ("offerCode", "displayName", "performingLabHSAId", "accountableCareUnit")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PROBLEM = re.compile(r"entry \d+(?: \(offerCode [^)]*\))?: (?:field '([^']+)': )?(.*)", re.DOTALL)
_PATH = re.compile(r"analysis\[(\d+)\](?:\.positiveValue\[(\d+)\])?")


@dataclass
class Built:
    """A document entry and, for each analysis in it, the form row it came from (and for each of
    its positive values, theirs): a problem of ``analysis[2]`` is shown on the row it was typed in."""

    entry: dict[str, Any]
    analysis_rows: list[int] = field(default_factory=list)
    positive_rows: list[list[int]] = field(default_factory=list)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def blank(value: Any) -> bool:
    """Nothing typed: every text of a (nested) row is empty."""
    if isinstance(value, Mapping):
        return all(blank(v) for v in value.values())
    if isinstance(value, list):
        return all(blank(v) for v in value)
    return not _text(value).strip()


def _code(data: Mapping[str, Any]) -> dict[str, Any]:
    """The CVType mapping of a code's inputs; empty inputs are left out."""
    return {element: _text(data.get(name)).strip() for name, element in CODE_FIELDS.items()
            if _text(data.get(name)).strip()}


def _number(text: Any) -> Any:
    """An integer as typed becomes one; anything else is passed on for the parser to refuse."""
    text = _text(text).strip()
    return int(text) if _INTEGER.fullmatch(text) else text


def build(data: Mapping[str, Any], care_giver: str) -> Built:
    """The document entry of the form's data, for the administrator's care giver."""
    entry: dict[str, Any] = {"careGiverHSAId": care_giver}
    built = Built(entry)
    for element, name in SCALARS.items():
        value = data.get(name)
        if element in ("notifiable", "selfService", "active"):
            entry[element] = bool(value)
        elif element == "samplingMode":
            entry[element] = list(value or [])
        elif element == "resultRelease":
            if _text(value):
                entry[element] = value
        elif not _text(value).strip():
            continue  # empty: not in the entry (the parser says when it is required)
        elif element in _NUMBERS:
            entry[element] = _number(value)
        else:
            entry[element] = _text(value).strip() if element in _TRIMMED else value
    entry["analysis"] = []
    for row, analysis in enumerate(data.get("analyses") or []):
        if blank(analysis):
            continue
        item: dict[str, Any] = {"code": _code(analysis.get("code") or {})}
        if _text(analysis.get("display_name")).strip():
            item["displayName"] = analysis["display_name"].strip()
        positives, rows = [], []
        for p_row, positive in enumerate(analysis.get("positives") or []):
            if not blank(positive):
                positives.append(_code(positive))
                rows.append(p_row)
        if positives:
            item["positiveValue"] = positives
        entry["analysis"].append(item)
        built.analysis_rows.append(row)
        built.positive_rows.append(rows)
    material = data.get("material") or {}
    if not blank(material):
        entry["specimenMaterial"] = _code(material)
    return built


def form_data(d: OfferDefinition) -> dict[str, Any]:
    """The form's data for a stored entry: what ``build`` turns back into the same entry."""
    document = catalogue.to_document([d])["offerDefinitions"][0]
    data: dict[str, Any] = {}
    for element, name in SCALARS.items():
        value = document.get(element)
        if element in ("notifiable", "selfService", "active"):
            data[name] = bool(value)
        elif element == "samplingMode":
            data[name] = list(value or [])
        else:
            data[name] = "" if value is None else str(value)
    data["analyses"] = [
        {"code": code_data(a.code), "display_name": a.display_name,
         "positives": [code_data(p) for p in a.positive_values]}
        for a in d.analyses
    ]
    data["material"] = code_data(d.specimen_material)
    return data


def code_data(c: Code | None) -> dict[str, str]:
    values = {
        "code": c.code, "code_system": c.code_system, "display_name": c.display_name,
        "code_system_name": c.code_system_name, "code_system_version": c.code_system_version,
        "original_text": c.original_text,
    } if c is not None else {}
    return {name: values.get(name) or "" for name in CODE_FIELDS}


def where(problem: str, built: Built) -> tuple[tuple[Any, ...], str]:
    """Where a problem of the parser belongs in the form, and its message (in English).

    The place is a path of form names and row numbers: ``("validity_days",)``,
    ``("analyses", 0, "code", "code_system")``, ``("analyses", 1, "positives", 0, "code")``,
    ``("material", "code")``; ``()`` is the top of the form."""
    m = _PROBLEM.match(problem)
    if not m:
        return (), problem
    element, message = m.group(1) or "", m.group(2)
    code_part = "code_system" if "codeSystem" in message else "code"
    if element in SCALARS:
        return (SCALARS[element],), message
    if element == "specimenMaterial":
        return ("material", code_part), message
    if element == "analysis":
        return ("analyses",), message
    p = _PATH.fullmatch(element)
    if p:
        n = int(p.group(1)) - 1
        if n < len(built.analysis_rows):
            row = built.analysis_rows[n]
            if p.group(2) is not None:
                positives = built.positive_rows[n]
                k = int(p.group(2)) - 1
                if k < len(positives):
                    return ("analyses", row, "positives", positives[k], code_part), message
            elif message.startswith("displayName"):
                return ("analyses", row, "display_name"), message
            else:
                return ("analyses", row, "code", code_part), message
    return (), message
