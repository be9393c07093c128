"""Validation against the contract XSD gives every thread its own verdict."""

from __future__ import annotations

import threading

from lxml import etree

from contracts.interactions import GET_ORDERS
from contracts.schema import schema_for

G = GET_ORDERS.responder_ns
C = "urn:riv:clinicalprocess:activity:selfsampling:1"


def request(extension: str) -> etree._Element:
    return etree.fromstring(
        f'<g:GetOrders xmlns:g="{G}" xmlns:c="{C}"><g:patientId><c:id>{extension}</c:id>'
        "<c:type>1.2.752.129.2.1.3.1</c:type></g:patientId></g:GetOrders>"
    )


def test_concurrent_valid_and_invalid_messages_are_each_judged_right() -> None:
    schema = schema_for(GET_ORDERS)
    wrong: list[str] = []
    start = threading.Barrier(8)

    def judge(extension: str, valid: bool) -> None:
        element = request(extension)
        start.wait()
        for _ in range(1500):
            if (schema.errors(element) == []) is not valid:
                wrong.append(extension)

    threads = [threading.Thread(target=judge, args=("19121212-121X", False)) for _ in range(4)]
    threads += [threading.Thread(target=judge, args=("191212121212", True)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
