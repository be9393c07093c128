"""Reading a request's routing info, rewriting its receiver header, and senders from certificates."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.identity import (
    CertificateRefused,
    serial_number_of_pem,
    verified_sender,
)
from routing.message import RIVTABP20, RIVTABP21, Unreadable, read_routing_info, rewrite_receiver
from routing.redact import looks_like_person_number, shown
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


@pytest.mark.parametrize("namespace", ["urn:riv:infrastructure:itintegration:registry:2", "urn:riv:itintegration:registry:1",
                                       "urn:some:other:1"])
def test_the_logical_address_is_found_by_its_local_name_in_any_namespace(namespace: str) -> None:
    header = f'<la:LogicalAddress xmlns:la="{namespace}">SE5565594230-EPH</la:LogicalAddress>'
    info = read_routing_info(soap_envelope(BODY, header=header))
    assert (info.receiver, info.profile) == ("SE5565594230-EPH", RIVTABP21)
    to = '<a:To xmlns:a="http://www.w3.org/2005/03/addressing">SE5565594230-EPH</a:To>'
    assert read_routing_info(soap_envelope(BODY, header=to)).profile == RIVTABP20


def test_a_message_that_is_not_well_formed_is_described_as_the_national_platform_does() -> None:
    data = b'<felaktigt format soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\r\n<a/>'
    with pytest.raises(Unreadable) as e:
        read_routing_info(data)
    assert str(e.value) == "Unexpected character 's' (code 115) expected '='\n at [row,col {unknown-source}]: [1,19]"
    with pytest.raises(Unreadable, match=r"(?s)mismatch.*\[1,15\]$"):
        read_routing_info(b"<a><b></b></c></a>")


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
        (b"not xml", "Start tag expected"),
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


def test_a_certificate_a_proxy_passed_on_is_verified(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    trusted = [ca.cert]
    lab = ca.issue("lab", "Lab", serial_number="SE2321000016-LAB1").pem()
    assert verified_sender(lab, trusted) == "SE2321000016-LAB1"
    assert verified_sender(lab.replace("\n", " "), trusted) == "SE2321000016-LAB1"
    signing = ca.key_usage(digital_signature=True)
    assert verified_sender(ca.issue("ku", "Lab", serial_number="SE1-A", key_usage=signing).pem(), trusted) == "SE1-A"
    refused = {
        "expired": ca.issue("old", "Lab", serial_number="SE1-A", valid_days=(-60, -1)).pem(),
        "not yet valid": ca.issue("new", "Lab", serial_number="SE1-A", valid_days=(1, 60)).pem(),
        "self-signed": ca.issue("self", "Lab", serial_number="SE1-A", self_signed=True).pem(),
        "a stranger's": CertificateAuthority(tmp_path / "x", "Stranger CA").issue("s", "L", serial_number="SE1-A").pem(),
        "server usage": ca.issue("srv", "Lab", serial_number="SE1-A", server=True).pem(),
        "no signing": ca.issue("enc", "Lab", serial_number="SE1-A", key_usage=ca.key_usage(digital_signature=False)).pem(),
        "no serial": ca.issue("anon", "Lab").pem(),
        "the CA itself": ca.path.read_text(),
        "an intermediate CA": ca.issue("sub", "Sub CA", serial_number="SE1-A", ca=True).pem(),
        "not a certificate": "-----BEGIN CERTIFICATE-----bm9wZQ==-----END CERTIFICATE-----",
    }
    for what, pem in refused.items():
        with pytest.raises(CertificateRefused):
            verified_sender(pem, trusted)
            pytest.fail(what)


def test_what_of_a_callers_values_may_be_shown() -> None:
    assert shown("SE2321000016-LAB1") == "SE2321000016-LAB1"
    assert shown("5565594230") == "5565594230"  # an organisation number, the national platform's own address
    assert shown("SE165565594230-10BR") == "SE165565594230-10BR"
    assert shown("x" * 5_000_000) == "(not shown: 5000000 characters)"
    assert shown("SE1\nforged log line") == "(not shown: control characters)"
    for number in ("191212121212", "19121212-1212", "1212121212", "201001819208"):  # the last: a coordination number
        assert looks_like_person_number(number), number
        assert shown(number) == "(not shown: looks like a personal identity number)"
    assert not looks_like_person_number("191212121213")  # wrong check digit
