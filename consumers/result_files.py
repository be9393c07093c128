"""Result files for ``eph lab result``: LaboratoryResultType values read from JSON or XML, and
each judged against the contract XSD before anything is sent."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from contracts.binding import binding_for
from contracts.interactions import SET_RESULT
from contracts.schema import schema_for
from contracts.xml import safe_parser


def read_results(path: Path) -> list[dict[str, Any]]:
    """LaboratoryResultType values from a JSON file (one object or a list) or an XML file
    (a ``laboratoryResult`` element, a SetResult request, or a SOAP envelope holding one).
    XML is read by the contract binding: the contract's elements, each leaf as written, for
    ``check_result_file_entry`` to judge against the XSD before anything is sent."""
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        return data if isinstance(data, list) else [data]
    root = etree.parse(str(path), safe_parser()).getroot()
    found = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "laboratoryResult"]
    if not found:
        raise ValueError(f"{path.name}: no laboratoryResult element")
    binding = binding_for(SET_RESULT)
    return [binding.read_part("laboratoryResult", e) for e in found]


@cache
def _set_result_element() -> Any:
    from zeep import Client

    return Client(str(SET_RESULT.wsdl_path)).get_element(f"{{{SET_RESULT.responder_ns}}}SetResult")


def check_result_file_entry(result: dict[str, Any]) -> list[str]:
    """Problems of one result, against the contract XSD, before anything is sent."""
    element = _set_result_element()
    node = etree.Element("wrapper")
    try:
        element.render(node, element(laboratoryResult=result))
    except Exception as e:  # zeep's own type errors
        return [str(e)]
    return schema_for(SET_RESULT).errors(node[0])
