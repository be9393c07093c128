"""SOAP 1.1 faults that carry a logId and never personal data."""

from __future__ import annotations

from lxml import etree
from spyne.model.fault import Fault

from contracts.interactions import CORE_NS, SOAP11_ENV_NS

LOG_ID_TAG = f"{{{CORE_NS}}}logId"


def _detail(log_id: str) -> etree._Element:
    detail = etree.Element("detail")
    etree.SubElement(detail, LOG_ID_TAG).text = log_id
    return detail


def fault(code: str, message: str, log_id: str) -> Fault:
    """A spyne Fault: ``code`` is Client, Server, MustUnderstand or VersionMismatch (dotted sub-codes allowed)."""
    f = Fault(faultcode=code, faultstring=f"{message} (logId {log_id})")
    f.detail = _detail(log_id)[0]
    return f


def fault_document(code: str, message: str, log_id: str) -> bytes:
    """The same fault as a whole envelope, for answers given before spyne sees the request."""
    env = etree.Element(f"{{{SOAP11_ENV_NS}}}Envelope", nsmap={"soap": SOAP11_ENV_NS})
    body = etree.SubElement(env, f"{{{SOAP11_ENV_NS}}}Body")
    f = etree.SubElement(body, f"{{{SOAP11_ENV_NS}}}Fault")
    etree.SubElement(f, "faultcode").text = f"soap:{code}"
    etree.SubElement(f, "faultstring").text = f"{message} (logId {log_id})"
    f.append(_detail(log_id))
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")
