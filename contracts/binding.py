"""Reading and writing the messages of an interaction, driven by its contract XSD.

The XSD is the single source of the message shapes: for every complex type the binding
knows its elements in order, which repeat, and which simple kind each leaf has. Nothing
is restated by hand, so the binding cannot drift from the contract.

- ``read`` turns a request element that has already been validated against the XSD into
  plain objects with attribute access (``request.patientId.id``): an absent optional
  element reads as ``None``, a repeating one as a list. Extension elements (``##other``)
  are skipped: an element of another namespace cannot pose as a contract element.
  Decimals keep their digits exactly as written (a string), integers become ``int``,
  booleans ``bool``.
- ``write`` turns plain values (dicts keyed by element name, lists for repeating elements,
  ``None`` for absent ones) into the response element's XML text, elements in contract
  order, with the responder namespace as ``tns`` and the core components as ``core``.

Usage::

    binding = binding_for(GET_ORDERS)
    request = binding.read(body_element)
    xml = binding.write_response({"order": [...], "continuationToken": None})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import xmlschema
from lxml import etree

from .interactions import ALL_INTERACTIONS, Interaction
from .ns import CORE_NS

_XS = "{http://www.w3.org/2001/XMLSchema}"

# the simple kinds a leaf can have, by the XSD built-in it derives from
_KINDS = {
    "boolean": "bool",
    "decimal": "decimal",
    "integer": "int",
    "int": "int",
    "long": "int",
    "short": "int",
    "nonNegativeInteger": "int",
    "positiveInteger": "int",
}


def _local(qname: str) -> str:
    return qname.rpartition("}")[2]


def _namespace(qname: str) -> str:
    return qname[1:].partition("}")[0] if qname.startswith("{") else ""


def _kind(xsd_type: Any) -> str:
    t = xsd_type
    while t is not None:
        if t.name and t.name.startswith(_XS):
            return _KINDS.get(_local(t.name), "str")
        t = t.base_type
    return "str"


@dataclass(slots=True)
class Field:
    """One element of a complex type."""

    name: str  # local name, the attribute / key it is read into and written from
    tag: str  # {namespace}name
    many: bool
    kind: str  # "str", "int", "bool", "decimal", or "complex"
    shape: Shape | None = None  # for kind == "complex"
    open: str = ""  # "<prefix:name>"
    close: str = ""  # "</prefix:name>"


@dataclass(slots=True)
class Shape:
    """A complex type: its elements in contract order."""

    name: str
    fields: list[Field] = field(default_factory=list)
    by_tag: dict[str, Field] = field(default_factory=dict)


def _text(kind: str, value: Any) -> str:
    if kind == "bool" or isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return escape(str(value))


def _read_leaf(kind: str, text: str | None) -> Any:
    value = text or ""
    if kind == "str":
        return value
    value = value.strip()
    if kind == "int":
        return int(value)
    if kind == "bool":
        return value in ("true", "1")
    return value  # decimal: exactly as written


class Binding:
    """The request and response shapes of one interaction."""

    def __init__(self, interaction: Interaction, schema: xmlschema.XMLSchema) -> None:
        self.interaction = interaction
        self._shapes: dict[str, Shape] = {}
        self.prefixes: dict[str, str] = {interaction.responder_ns: "tns", CORE_NS: "core"}
        request = schema.maps.elements[interaction.request_element]
        response = schema.maps.elements[f"{{{interaction.responder_ns}}}{interaction.name}Response"]
        self.request = self._shape(request.type)
        self.response = self._shape(response.type)
        self.response_tag = response.name
        self.namespace_declarations = "".join(
            f' xmlns:{prefix}="{ns}"' for ns, prefix in self.prefixes.items()
        )

    def _prefix(self, namespace: str) -> str:
        if namespace not in self.prefixes:
            self.prefixes[namespace] = f"ns{len(self.prefixes)}"
        return self.prefixes[namespace]

    def _shape(self, xsd_type: Any) -> Shape:
        if xsd_type.name in self._shapes:
            return self._shapes[xsd_type.name]
        shape = self._shapes[xsd_type.name] = Shape(xsd_type.name)
        for el in xsd_type.content.iter_elements():
            if not isinstance(el, xmlschema.XsdElement):  # a wildcard: extensions are not read
                continue
            prefix = self._prefix(_namespace(el.name))
            local = _local(el.name)
            f = Field(
                name=local,
                tag=el.name,
                many=el.max_occurs is None or el.max_occurs > 1,
                kind="complex" if el.type.is_complex() else _kind(el.type),
                open=f"<{prefix}:{local}>",
                close=f"</{prefix}:{local}>",
            )
            if f.kind == "complex":
                f.shape = self._shape(el.type)
            shape.fields.append(f)
            shape.by_tag[f.tag] = f
        return shape

    def shape(self, type_name: str) -> Shape:
        """A complex type of this interaction by its local name, e.g. ``OrderType``."""
        for qname, shape in self._shapes.items():
            if _local(qname) == type_name:
                return shape
        raise KeyError(type_name)

    # ------------------------------------------------------------------ reading

    def read(self, element: etree._Element) -> SimpleNamespace:
        """The request element (already valid against the XSD) as plain objects."""
        return _read(self.request, element)

    # ------------------------------------------------------------------ writing

    def write_response(self, values: Mapping[str, Any]) -> str:
        """The response element, namespaces declared on it."""
        out: list[str] = []
        _write(self.response, values, out)
        return f"<tns:{_local(self.response_tag)}{self.namespace_declarations}>{''.join(out)}</tns:{_local(self.response_tag)}>"

    def writer(self, type_name: str) -> Callable[[Mapping[str, Any]], str]:
        """Writes the content of one complex type (without its own element)."""
        shape = self.shape(type_name)

        def write(values: Mapping[str, Any]) -> str:
            out: list[str] = []
            _write(shape, values, out)
            return "".join(out)

        return write


def _read(shape: Shape, element: etree._Element) -> SimpleNamespace:
    values: dict[str, Any] = {f.name: [] if f.many else None for f in shape.fields}
    by_tag = shape.by_tag
    for child in element:
        f = by_tag.get(child.tag)
        if f is None:
            continue  # an extension element, a comment or a processing instruction
        value = _read(f.shape, child) if f.shape is not None else _read_leaf(f.kind, child.text)
        if f.many:
            values[f.name].append(value)
        else:
            values[f.name] = value
    return SimpleNamespace(**values)


def _write(shape: Shape, values: Mapping[str, Any], out: list[str]) -> None:
    for f in shape.fields:
        value = values.get(f.name)
        if value is None:
            continue
        items: Iterable[Any] = value if f.many else (value,)
        for item in items:
            if item is None:
                continue
            out.append(f.open)
            if f.shape is not None:
                _write(f.shape, item, out)
            else:
                out.append(_text(f.kind, item))
            out.append(f.close)


@cache
def _schemas() -> xmlschema.XMLSchema:
    """Every responder schema of the service's interactions, read once (they share the core)."""
    return xmlschema.XMLSchema([str(i.xsd_path) for i in ALL_INTERACTIONS])


@cache
def binding_for(interaction: Interaction) -> Binding:
    if interaction in ALL_INTERACTIONS:
        return Binding(interaction, _schemas())
    return Binding(interaction, xmlschema.XMLSchema(str(interaction.xsd_path)))
