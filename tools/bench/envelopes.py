"""The requests of the mixed load (tools/bench/load.py): hand-made SOAP envelopes, as the wrk
scripts of ``make bench`` send, one builder per kind of call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.interactions import GET_ACCESS_LOG, GET_RESULTS, SET_ORDER_STATUS, SET_RESULT
from eph import demo
from service_domain.clock import SWEDISH_TZ
from tests.support import PERSONNUMMER, soap_envelope
from tools.bench.harness import get_orders

CORE = "urn:riv:clinicalprocess:activity:selfsampling:1"


def _person(pid: str) -> str:
    return f"<c:id>{pid}</c:id><c:type>{PERSONNUMMER}</c:type>"


def poll(token: str) -> bytes:
    return get_orders(f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>"
                      f"<g:continuationToken>{token}</g:continuationToken>")


def citizen_orders(patient: str) -> bytes:
    return get_orders(f'<g:patientId xmlns:c="{CORE}">{_person(patient)}</g:patientId>')


def citizen_results(patient: str) -> bytes:
    return soap_envelope(f'<r:GetResults xmlns:r="{GET_RESULTS.responder_ns}" xmlns:c="{CORE}">'
                         f"<r:patientId>{_person(patient)}</r:patientId></r:GetResults>")


def access_log(patient: str) -> bytes:
    return soap_envelope(f'<a:GetAccessLog xmlns:a="{GET_ACCESS_LOG.responder_ns}" xmlns:c="{CORE}">'
                         f"<a:patientId>{_person(patient)}</a:patientId><a:maxResults>20</a:maxResults>"
                         "</a:GetAccessLog>")


def stamp(moment: datetime) -> str:
    return moment.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S")


def status_update(order_id: str, lab: str) -> bytes:
    when = stamp(datetime.now(UTC) - timedelta(minutes=1))
    return soap_envelope(
        f'<s:SetOrderStatus xmlns:s="{SET_ORDER_STATUS.responder_ns}" xmlns:c="{CORE}">'
        f"<s:orderId>{order_id}</s:orderId><s:status>RECEIVED_BY_LAB</s:status><s:eventTime>{when}</s:eventTime>"
        f"<s:performedBy><c:actorType>SYSTEM</c:actorType><c:id>{lab}</c:id></s:performedBy>"
        f"<s:performingUnitHSAId>{lab}</s:performingUnitHSAId></s:SetOrderStatus>")


def set_result(order_id: str, version: int, report_time: str) -> bytes:
    """A preliminary HbA1c result; the same (order, version) always gives the same content, so a
    lab's retry of it is a repeat (INFO), not a conflict."""
    return soap_envelope(
        f'<s:SetResult xmlns:s="{SET_RESULT.responder_ns}" xmlns:c="{CORE}"><s:laboratoryResult>'
        f"<c:orderId>{order_id}</c:orderId><c:performingLabHSAId>{demo.LAB_A2}</c:performingLabHSAId>"
        f"<c:resultVersion>{version}</c:resultVersion><c:reportStatus>PRELIMINARY</c:reportStatus>"
        f"<c:reportTime>{report_time}</c:reportTime><c:analysisResult><c:code><c:code>NPU27300</c:code>"
        "<c:codeSystem>1.2.752.108.1</c:codeSystem></c:code><c:pq><c:value>41</c:value><c:unit>mmol/mol</c:unit>"
        "</c:pq><c:interpretation>NORMAL</c:interpretation><c:status>PRELIMINARY</c:status></c:analysisResult>"
        "</s:laboratoryResult></s:SetResult>")
