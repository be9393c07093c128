"""The message types of the contracts, built from the contract XSD.

The XSD is the source of truth: rather than restating every type by hand, the
spyne classes the producers (de)serialise with are built from the compiled schema
at import, so they cannot drift from it. Facets (patterns, enumerations, lengths)
are not copied: every incoming message is validated against the XSD itself before
spyne reads it. Wildcards (``xs:any ##other``) get no member: extension elements
are accepted by validation and ignored when reading.

Usage::

    types = message_types(GET_ORDERS)
    types.request        # GetOrdersType
    types.response       # GetOrdersResponseType
    types["OrderType"]   # any complex type the interaction uses, by local name
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import xmlschema
from spyne.model.complex import ComplexModel, ComplexModelBase
from spyne.model.primitive import Boolean, Decimal, Integer, Unicode

from .interactions import Interaction

_XS = "{http://www.w3.org/2001/XMLSchema}"
_BUILTINS: dict[str, type] = {
    "string": Unicode,
    "normalizedString": Unicode,
    "token": Unicode,
    "anyURI": Unicode,
    "boolean": Boolean,
    "decimal": Decimal,
    "integer": Integer,
    "int": Integer,
    "long": Integer,
    "short": Integer,
    "nonNegativeInteger": Integer,
    "positiveInteger": Integer,
}


def _split(qname: str) -> tuple[str, str]:
    ns, _, local = qname[1:].partition("}")
    return ns, local


def _simple(xsd_type: Any) -> type:
    t = xsd_type
    while t is not None:
        if t.name and t.name.startswith(_XS) and _split(t.name)[1] in _BUILTINS:
            return _BUILTINS[_split(t.name)[1]]
        t = t.base_type
    raise TypeError(f"no spyne type for simple type {xsd_type.name}")


@dataclass
class MessageTypes:
    request: type[ComplexModelBase]
    response: type[ComplexModelBase]
    by_name: dict[str, type[ComplexModelBase]] = field(default_factory=dict)

    def __getitem__(self, local_name: str) -> type[ComplexModelBase]:
        return self.by_name[local_name]


class _Builder:
    def __init__(self, schema: xmlschema.XMLSchema) -> None:
        self.schema = schema
        self.built: dict[str, type[ComplexModelBase]] = {}

    def complex(self, xsd_type: Any) -> type[ComplexModelBase]:
        if xsd_type.name in self.built:
            return self.built[xsd_type.name]
        ns, local = _split(xsd_type.name)
        members: dict[str, Any] = {}
        for el in xsd_type.content.iter_elements():
            if not hasattr(el, "type") or el.local_name is None:  # a wildcard
                continue
            member: Any = self.complex(el.type) if el.type.is_complex() else _simple(el.type)
            in_choice = getattr(el.parent, "model", None) == "choice"
            min_occurs = 0 if in_choice else el.min_occurs
            max_occurs = "unbounded" if el.max_occurs is None else el.max_occurs
            members[el.local_name] = member.customize(min_occurs=min_occurs, max_occurs=max_occurs)
        cls = ComplexModel.produce(namespace=ns, type_name=local, members=members)
        self.built[xsd_type.name] = cls
        return cls


@cache
def message_types(interaction: Interaction) -> MessageTypes:
    schema = xmlschema.XMLSchema(str(interaction.xsd_path))
    builder = _Builder(schema)
    request = builder.complex(schema.elements[interaction.name].type)
    response = builder.complex(schema.elements[f"{interaction.name}Response"].type)
    return MessageTypes(request, response, {_split(k)[1]: v for k, v in builder.built.items()})
