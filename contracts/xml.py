"""Reading XML that comes from outside: no DTD, nothing resolved or fetched, size bounded."""

from __future__ import annotations

from lxml import etree

MAX_DEPTH = 40
MAX_ELEMENTS = 20_000


class UnsafeMessage(ValueError):
    """A message refused before anything in it is used; the text says why, never what it held."""


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_message(data: bytes) -> etree._Element:
    """Parse a message, refusing a DOCTYPE (hence any entity declaration), nesting deeper
    than MAX_DEPTH and more than MAX_ELEMENTS elements."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeMessage("a DOCTYPE or entity declaration is not allowed")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as e:
        # the parser's message names a line and column, not content
        raise UnsafeMessage(f"the message is not well-formed XML (line {e.lineno})") from None
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # e.g. in UTF-16, unseen above
        raise UnsafeMessage("a DOCTYPE or entity declaration is not allowed")
    depth = count = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            count += 1
            if depth > MAX_DEPTH:
                raise UnsafeMessage(f"the message nests elements deeper than {MAX_DEPTH}")
            if count > MAX_ELEMENTS:
                raise UnsafeMessage(f"the message has more than {MAX_ELEMENTS} elements")
        else:
            depth -= 1
    return root
