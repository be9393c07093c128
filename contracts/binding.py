"""Reading and writing the messages of an interaction, driven by its contract XSD.

The XSD is the single source of the message shapes: for every complex type the binding
knows its elements in order, which repeat, and which simple kind each leaf has. Nothing
is restated by hand, so the binding cannot drift from the contract.

- ``read`` turns a request element that has already been validated against the XSD into
  plain objects with attribute access (``request.patientId.id``): an absent optional
  element reads as ``None``, a repeating one as a list. Extension elements (``##other``)
  are skipped: an element of another namespace cannot pose as a contract element.
  Decimals keep their digits exactly as written (a string), integers become ``int``,
  booleans ``bool``; enumerations and every other simple type are their text.
- ``read_part`` reads one element of a request that has not been validated yet (a result
  file's ``laboratoryResult``): dicts of the elements that are there, each leaf its text as
  written, for a check against the XSD to judge.
- ``write`` turns plain values (dicts keyed by element name, lists for repeating elements,
  ``None`` for absent ones) into the response element's XML text, elements in contract
  order, with the responder namespace as ``tns`` and the core components of its domain as ``core``.
  A complex type with an ``##other`` wildcard also writes the ``Extension`` values under the
  key ``EXTENSIONS`` (the service's own elements in its own namespace), after its elements.

Strict writing: a key that is not an element of its complex type (a misspelt optional
element) is not written. With ``EPH_STRICT_BINDING=1`` in the environment (or ``STRICT``
set), ``write_response`` first checks every value with ``check`` and refuses such a key,
a single value for a repeating element and a non-dict for a complex one with
``NotInContract``. The tests turn it on (``tests/conftest.py``), for the servers they
start too. The service does not: even the cheapest key check, made in the write loop, added
about a tenth to writing a page of ten orders (some 150 dicts).

Only what the release uses is bound: sequences and choices that occur once, optional and
repeating elements, ``xs:any`` wildcards, simple types. A contract with attributes, simple
or mixed content, nillable elements or a repeating group is refused when it is bound
(``UnsupportedSchema``), not read or written wrongly.

Usage::

    binding = binding_for(GET_ORDERS)
    request = binding.read(body_element)
    xml = binding.write_response({"order": [...], "continuationToken": None})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import xmlschema
from lxml import etree
from xmlschema.validators import XsdAnyElement, XsdGroup

from .interactions import ALL_INTERACTIONS, Interaction
from .ns import CORE_NS

_XS = "{http://www.w3.org/2001/XMLSchema}"

# write_response checks its values first (see the module's docstring)
STRICT = os.environ.get("EPH_STRICT_BINDING") == "1"

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


# the key of a complex value under which its extension elements are written
EXTENSIONS = "##other"


@dataclass(frozen=True, slots=True)
class Extension:
    """An element of a namespace other than the contract's, in an ``##other`` wildcard."""

    namespace: str
    name: str
    text: str


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
    names: frozenset[str] = frozenset()  # the element names: the keys it is written from
    extensible: bool = False  # it ends in an ##other wildcard


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


class UnsupportedSchema(ValueError):
    """A contract construct the binding does not read and write."""


class NotInContract(ValueError):
    """Values to write that are not in their complex type's shape (checked when strict)."""


def _elements(xsd_type: Any) -> Iterator[xmlschema.XsdElement]:
    """The elements of a complex type in contract order, its wildcards left out."""
    name = xsd_type.name or "an anonymous type"
    if xsd_type.has_simple_content() or xsd_type.mixed:
        raise UnsupportedSchema(f"{name}: simple or mixed content is not bound")
    if len(xsd_type.attributes):
        raise UnsupportedSchema(f"{name}: attributes are not bound")

    def walk(group: Any) -> Iterator[xmlschema.XsdElement]:
        for particle in group:
            if isinstance(particle, xmlschema.XsdElement):
                if particle.nillable:
                    raise UnsupportedSchema(f"{name}: nillable {particle.local_name} is not bound")
                yield particle
            elif isinstance(particle, XsdGroup):
                if particle.max_occurs != 1:
                    raise UnsupportedSchema(f"{name}: a repeating {particle.model} is not bound")
                yield from walk(particle)
            # a wildcard: extensions are not read

    return walk(xsd_type.content)


class Binding:
    """The request and response shapes of one interaction."""

    def __init__(self, interaction: Interaction, schema: xmlschema.XMLSchema) -> None:
        self.interaction = interaction
        self._shapes: dict[Any, Shape] = {}
        # "core" is the core components of the interaction's own domain (a national contract has its own)
        core = CORE_NS if interaction in ALL_INTERACTIONS else f"urn:riv:{interaction.domain}:{interaction.major}"
        self.prefixes: dict[str, str] = {interaction.responder_ns: "tns", core: "core"}
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
        if xsd_type in self._shapes:  # by the type itself: anonymous types have no name
            return self._shapes[xsd_type]
        shape = self._shapes[xsd_type] = Shape(_local(xsd_type.name or "anonymous type"))
        for el in _elements(xsd_type):
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
        shape.extensible = any(isinstance(p, XsdAnyElement)
                               for p in xsd_type.content)
        shape.names = frozenset(f.name for f in shape.fields) | ({EXTENSIONS} if shape.extensible else set())
        return shape

    # ------------------------------------------------------------------ reading

    def read(self, element: etree._Element) -> SimpleNamespace:
        """The request element (already valid against the XSD) as plain objects."""
        return _read(self.request, element)

    def read_part(self, name: str, element: etree._Element) -> dict[str, Any]:
        """An element of the request, by its name (``laboratoryResult`` of SetResult), that has
        not been validated yet: plain dicts keyed by element name with only the elements that
        are there, a list for a repeating one, and every leaf its text as written (stripped),
        untyped, for a check against the XSD to judge. An element the contract does not have
        there, extensions included, is kept under its own name for that check to refuse."""
        f = next((f for f in self.request.fields if f.name == name), None)
        if f is None or f.shape is None:
            raise NotInContract(f"{self.request.name} has no complex element {name!r}")
        return _read_as_written(f.shape, element)

    # ------------------------------------------------------------------ writing

    def write_response(self, values: Mapping[str, Any]) -> str:
        """The response element, namespaces declared on it."""
        if STRICT:
            self.check(values)
        out: list[str] = []
        _write(self.response, values, out)
        return f"<tns:{_local(self.response_tag)}{self.namespace_declarations}>{''.join(out)}</tns:{_local(self.response_tag)}>"

    def check(self, values: Mapping[str, Any]) -> None:
        """Refuses response values that ``write_response`` would not write as given: a key that
        is not an element of its type, a single value for a repeating element, a complex
        element's value that is not a dict (``NotInContract``, naming the type and the key)."""
        _check(self.response, values)


def _gather(
    shape: Shape,
    element: etree._Element,
    complex_: Callable[[Shape, etree._Element], Any],
    leaf: Callable[[str, str | None], Any],
    as_written: bool = False,
) -> dict[str, Any]:
    """The contract elements that are there, by name; a repeating one as a list. Anything else
    (an extension element, a comment, a processing instruction) is skipped, but ``as_written``
    (a document a person wrote): there an element without a namespace counts as the contract's
    element of its name (it cannot be an extension), and an element the type does not have is
    kept under its own name, the namespace in braces when it has one, so that the check against
    the contract refuses it instead of it vanishing."""
    values: dict[str, Any] = {}
    by_tag = shape.by_tag
    for child in element:
        f = by_tag.get(child.tag)
        if f is None:
            if not as_written or not isinstance(child.tag, str):
                continue
            f = next((f for f in shape.fields if f.name == child.tag), None)
            if f is None:
                values[child.tag] = leaf("", child.text)
                continue
        value = complex_(f.shape, child) if f.shape is not None else leaf(f.kind, child.text)
        if f.many:
            values.setdefault(f.name, []).append(value)
        else:
            values[f.name] = value
    return values


def _read(shape: Shape, element: etree._Element) -> SimpleNamespace:
    values: dict[str, Any] = {f.name: [] if f.many else None for f in shape.fields}
    values.update(_gather(shape, element, _read, _read_leaf))
    return SimpleNamespace(**values)


def _leaf_text(kind: str, text: str | None) -> str:
    return (text or "").strip()


def _read_as_written(shape: Shape, element: etree._Element) -> dict[str, Any]:
    return _gather(shape, element, _read_as_written, _leaf_text, as_written=True)


def _check(shape: Shape, values: Any) -> None:
    if not isinstance(values, Mapping):
        raise NotInContract(f"{shape.name} is written from a dict, not {type(values).__name__}")
    if not shape.names.issuperset(values):
        unknown = ", ".join(repr(key) for key in values if key not in shape.names)
        raise NotInContract(f"{shape.name} has no element {unknown}")
    for f in shape.fields:
        value = values.get(f.name)
        if value is None:
            continue
        if f.many and not isinstance(value, list | tuple):
            raise NotInContract(f"{shape.name}.{f.name} repeats: it is written from a list, not {type(value).__name__}")
        if f.shape is not None:
            for item in value if f.many else (value,):
                if item is not None:
                    _check(f.shape, item)


def _write(shape: Shape, values: Mapping[str, Any], out: list[str]) -> None:
    _write_fields(shape, values, out)
    if shape.extensible:
        for e in values.get(EXTENSIONS) or ():
            out.append(f'<x:{e.name} xmlns:x="{escape(e.namespace, {chr(34): "&quot;"})}">{escape(e.text)}</x:{e.name}>')


def _write_fields(shape: Shape, values: Mapping[str, Any], out: list[str]) -> None:
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
