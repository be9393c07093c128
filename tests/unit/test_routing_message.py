"""Reading a request's routing info, rewriting its receiver header, and senders from certificates."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.identity import serial_number_of_peercert, serial_number_of_pem
from routing.message import RIVTABP20, RIVTABP21, Unreadable, read_routing_info, rewrite_receiver
from tests.certs import CertificateAuthority
from tests.support import soap_envelope

K = "urn:riv:clinicalprocess:activity:selfsampling:GetOrdersResponder:1"
BODY = f'<g:GetOrders xmlns:g="{K}"><g:referralId>ABCD1234</g:referralId></g:GetOrders>'
WSA = '<wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing">SE5565594230-EPH</wsa:To>'


def test_bp21_receiver_and_contract() -> None:
    info = read_routing_info(soap_envelope(BODY))
    assert (info.contract, info.receiver, info.profile) == (K, "SE5565594230-EPH", RIVTABP21)


def test_bp20_receiver() -> None:
    info = read_routing_info(soap_envelope(BODY, header=WSA))
    assert (info.receiver, info.profile) == ("SE5565594230-EPH", RIVTABP20)


def test_the_body_is_not_read_past_its_first_element() -> None:
    # what follows the first element of the Body is broken XML: a full parse would fail
    broken = soap_envelope(BODY).replace(b"</g:GetOrders>", b"</g:GetOrders><unclosed><<<" + b"x" * 10_000)
    assert read_routing_info(broken).contract == K


def test_rewriting_bp21_to_bp20_and_back() -> None:
    original = soap_envelope(BODY)
    as_bp20 = rewrite_receiver(original, RIVTABP20)
    info = read_routing_info(as_bp20)
    assert (info.profile, info.receiver, info.logical_address) == (RIVTABP20, "SE5565594230-EPH", None)
    back = read_routing_info(rewrite_receiver(as_bp20, RIVTABP21))
    assert (back.profile, back.receiver, back.wsa_to) == (RIVTABP21, "SE5565594230-EPH", None)
    assert b"ABCD1234" in as_bp20  # the body travels unchanged


@pytest.mark.parametrize(
    "data, why",
    [
        (b"not xml", "well-formed"),
        (b"<a/>", "not a SOAP Envelope"),
        (soap_envelope(BODY).replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "x">]>', 1), "DOCTYPE"),
        (soap_envelope(BODY).replace(b"?>", b"?>" + b"<!-- pad -->" * 500 + b"<!DOCTYPE x>", 1), "DOCTYPE"),
        (soap_envelope(""), "holds no element"),
        (soap_envelope(BODY).decode().replace('encoding="UTF-8"?>', 'encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "x">]>')
         .encode("utf-16"), "DOCTYPE"),
        (soap_envelope("<plain/>"), "no namespace"),
    ],
)
def test_unreadable_messages(data: bytes, why: str) -> None:
    with pytest.raises(Unreadable, match=why):
        read_routing_info(data)


def test_senders_from_certificates(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    with_serial = ca.issue("lab", "Lab system", serial_number="SE2321000016-LAB1").pem()
    without = ca.issue("nameless", "No serial").pem()
    assert serial_number_of_pem(with_serial) == "SE2321000016-LAB1"
    assert serial_number_of_pem(with_serial.replace("\n", " ")) == "SE2321000016-LAB1"  # folded by a proxy
    from urllib.parse import quote

    assert serial_number_of_pem(quote(with_serial)) == "SE2321000016-LAB1"  # URL-encoded by a proxy
    assert serial_number_of_pem(without) is None
    assert serial_number_of_pem("-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----") is None
    assert serial_number_of_peercert({"subject": ((("countryName", "SE"),), (("serialNumber", "SE1-X"),))}) == "SE1-X"
    assert serial_number_of_peercert({"subject": ((("commonName", "x"),),)}) is None
    assert serial_number_of_peercert(None) is None
