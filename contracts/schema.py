"""Validation against the contract XSD, and the contract documents as served.

Validation messages are rebuilt from libxml2's error so that they name the
element and the rule it broke but never the value (which may be a personal
identity number).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import cast
from xml.sax.saxutils import quoteattr

from lxml import etree

from .interactions import Interaction
from .ns import REGISTRY_NS, WSDL_SOAP_NS, XS_NS

_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'")
_FACET = re.compile(r"\[facet '([A-Za-z]+)'\]")
_ATOMIC = re.compile(r"of the (?:local )?atomic type(?: '(?:\{[^}]*\})?([^']+)')?")


class ContractViolation(ValueError):
    """A message that does not follow the contract XSD."""


def describe(error: etree._LogEntry) -> str:
    """What rule an element broke, without its value."""
    m = error.message
    name = _ELEMENT.search(m)
    where = f"element '{name.group(1)}'" if name else "the message"
    if error.line:
        where += f" (line {error.line})"
    if "This element is not expected" in m or "Missing child element" in m:
        expected = m.split(".", 1)[1].strip() if "." in m else ""
        expected = re.sub(r"\{[^}]*\}", "", expected)
        what = "is not expected here" if "not expected" in m else "misses a required child element"
        return f"{where} {what}{'; ' + expected if expected else ''}".rstrip(".")
    facet = _FACET.search(m)
    if facet:
        return f"{where}: the value breaks the '{facet.group(1)}' rule of its type"
    atomic = _ATOMIC.search(m)
    if atomic:
        return f"{where}: the value is not a valid {atomic.group(1) or 'value of its type'}"
    if "Character content" in m:
        return f"{where}: text is not allowed here"
    if "No matching global declaration" in m:
        return f"{where} is not an element of this contract"
    return f"{where} does not follow the contract schema"


_COMPILING = threading.Lock()


class ContractSchema:
    """The compiled schemas of one interaction (its responder XSD and its release's registry XSD).

    A compiled schema keeps the errors of its last validation in its own error log, so two
    threads validating with one schema could read each other's (empty) log and let an
    invalid message through: each thread gets its own compiled copy.
    """

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction
        self._wrapper = (
            f'<xs:schema xmlns:xs="{XS_NS}">'
            f'<xs:import namespace={quoteattr(interaction.responder_ns)} schemaLocation={quoteattr(interaction.xsd_path.as_uri())}/>'
            f'<xs:import namespace={quoteattr(REGISTRY_NS)} schemaLocation={quoteattr((interaction.core_components / "itintegration_registry_1.0.xsd").as_uri())}/>'
            "</xs:schema>"
        )
        self._local = threading.local()
        self._compiled()  # a broken schema fails here, not on the first call

    def _compiled(self) -> etree.XMLSchema:
        schema: etree.XMLSchema | None = getattr(self._local, "schema", None)
        if schema is None:
            # one compile at a time in the process: a fresh worker's threads all compile on their
            # first calls, and lxml runs libxml2's schema parser without the GIL (a schema parse
            # error and a crashed worker were seen once under load then; not reproduced since)
            with _COMPILING:
                parser = etree.XMLParser(resolve_entities=False, no_network=True)
                schema = self._local.schema = etree.XMLSchema(etree.fromstring(self._wrapper, parser))
        return schema

    def errors(self, element: etree._Element) -> list[str]:
        schema = self._compiled()
        if schema.validate(element):
            return []
        return [describe(e) for e in cast(Iterable[etree._LogEntry], schema.error_log)]

    def check(self, element: etree._Element) -> None:
        errors = self.errors(element)
        if errors:
            raise ContractViolation("; ".join(errors[:3]))


@cache
def schema_for(interaction: Interaction) -> ContractSchema:
    return ContractSchema(interaction)


# ------------------------------------------------------------- serving the documents

_LOCATION_XPATH = etree.XPath(
    "//xs:import[@schemaLocation] | //xs:include[@schemaLocation]", namespaces={"xs": XS_NS}
)


def _locations(tree: etree._ElementTree) -> list[etree._Element]:
    return cast(list[etree._Element], _LOCATION_XPATH(tree))


def _referenced(path: Path) -> Iterable[Path]:
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    for node in _locations(tree):
        yield (path.parent / str(node.get("schemaLocation"))).resolve()


@cache
def documents(interaction: Interaction) -> dict[str, Path]:
    """The WSDL and every schema it needs, by file name (file names are unique in the release)."""
    found: dict[str, Path] = {}
    todo = [interaction.wsdl_path.resolve()]
    while todo:
        path = todo.pop()
        if path.name in found:
            continue
        found[path.name] = path
        todo.extend(_referenced(path))
    return found


def served_document(interaction: Interaction, name: str, base_url: str) -> bytes:
    """A contract document with schemaLocation pointing at ``base_url?xsd=<file>`` and, in the
    WSDL, soap:address at ``base_url``."""
    path = documents(interaction)[name]
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    for node in _locations(tree):
        node.set("schemaLocation", f"{base_url}?xsd={Path(str(node.get('schemaLocation'))).name}")
    for address in tree.iter(f"{{{WSDL_SOAP_NS}}}address"):
        address.set("location", base_url)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
