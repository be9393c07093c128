"""One class per kind of system, speaking in that system's terms.

Requests are built as plain mappings of the contract's element names; answers are the
zeep objects of the contract's response types (``zeep.helpers.serialize_object`` turns
them into dictionaries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contracts.ns import EXTENSION_NS

from .client import Connection

SWEDISH_TZ = ZoneInfo("Europe/Stockholm")
PERSONNUMMER = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "1.2.752.129.2.1.3.3"
HSA_ID = "1.2.752.129.2.1.4.1"  # the OID of HSA-ids, as the national IIType's root


def luhn_digit(digits: str) -> int:
    """The Luhn check digit that completes ``digits``."""
    total = sum(d - 9 if d > 9 else d for d in (int(c) * (2 - i % 2) for i, c in enumerate(digits)))
    return (10 - total % 10) % 10


def person_id(number: str, type_oid: str | None = None) -> dict[str, str]:
    """A PersonIdType: a personal identity or coordination number (YYYYMMDDNNNC, dashes allowed;
    its type follows from the day of birth), or a reservnummer with its type's OID."""
    if type_oid is not None and type_oid not in (PERSONNUMMER, SAMORDNINGSNUMMER):
        return {"id": number.strip(), "type": type_oid}
    digits = number.replace("-", "").replace("+", "").strip()
    if len(digits) != 12 or not digits.isdigit():
        raise ValueError("give the personal identity number as 12 digits, YYYYMMDDNNNC")
    kind = SAMORDNINGSNUMMER if int(digits[6:8]) > 60 else PERSONNUMMER
    return {"id": digits, "type": kind}


def patient_ii(number: str) -> dict[str, str]:
    """The patient as the national contracts' IIType: the kind of number's OID and the number."""
    p = person_id(number)
    return {"root": p["type"], "extension": p["id"]}


def timestamp(moment: datetime | None = None) -> str:
    """TimeStampType: YYYYMMDDhhmmss in Swedish local time (now when not given)."""
    moment = moment or datetime.now(SWEDISH_TZ)
    return moment.astimezone(SWEDISH_TZ).strftime("%Y%m%d%H%M%S")


def extension(value: Any, name: str) -> str | None:
    """The text of the service's extension element ``name`` in an answer's element (zeep keeps
    the elements of an ``##other`` wildcard in ``_value_1``), if it is there."""
    found = getattr(value, "_value_1", None) or []
    for element in found if isinstance(found, list) else [found]:
        if getattr(element, "tag", None) == f"{{{EXTENSION_NS}}}{name}":
            return str(element.text or "")
    return None


def actor(kind: str, id: str, name: str | None = None) -> dict[str, str]:
    a = {"actorType": kind, "id": id}
    if name:
        a["name"] = name
    return a


class _Role:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @property
    def hsa_id(self) -> str:
        return self.connection.identity.sender

    def _system(self) -> dict[str, str]:
        return actor("SYSTEM", self.hsa_id)

    def _pages(self, contract: str, items: str, **request: Any) -> Iterator[Any]:
        """The ``items`` of every page of a paged read: the request again with each answer's
        continuationToken until an answer has none."""
        token = None
        while True:
            page = self.connection.call(contract, continuationToken=token, **request)
            yield from getattr(page, items)
            token = page.continuationToken
            if not token:
                return


class LabSystem(_Role):
    """A laboratory information system: polls its orders, registers what happens, reports results."""

    def __init__(self, connection: Connection, lab: str | None = None) -> None:
        super().__init__(connection)
        self.lab = lab or connection.identity.sender

    def poll_orders(self, statuses: Sequence[str] = (), page_size: int = 100,
                    on_page: Callable[[int, int], None] | None = None) -> Iterator[Any]:
        """Every order addressed to this lab (optionally in these statuses), page by page.

        ``on_page(pages, orders so far)`` is called after each page (for progress display)."""
        token = None
        pages = count = 0
        while True:
            request: dict[str, Any] = {"performingLabHSAId": self.lab, "maxResults": page_size}
            if statuses:
                request["status"] = list(statuses)
            if token:
                request["continuationToken"] = token
            response = self.connection.call("GetOrders", **request)
            pages += 1
            count += len(response.order)
            yield from response.order
            if on_page:
                on_page(pages, count)
            token = response.continuationToken
            if not token:
                return

    def _status(self, order_id: str, status: str, **extra: Any) -> Any:
        return self.connection.call(
            "SetOrderStatus", orderId=order_id, status=status, eventTime=timestamp(),
            performedBy=extra.pop("performed_by", None) or self._system(), performingUnitHSAId=self.lab, **extra,
        )

    def kit_sent(self, order_id: str) -> Any:
        return self._status(order_id, "KIT_SENT")

    def specimen_arrived(self, order_id: str, barcode: str) -> Any:
        """A home kit's specimen reached the lab by post (SPECIMEN_COLLECTED with its barcode)."""
        return self._status(order_id, "SPECIMEN_COLLECTED", specimen=[{"identifier": barcode}])

    def mark_received(self, order_id: str) -> Any:
        return self._status(order_id, "RECEIVED_BY_LAB")

    def reject(self, order_id: str, reason: Mapping[str, str] | None = None, comment: str | None = None) -> Any:
        return self._status(order_id, "REJECTED", reason=dict(reason) if reason else None, comment=comment)

    def send_result(self, laboratory_result: Mapping[str, Any]) -> Any:
        """A LaboratoryResultType (PRELIMINARY, PARTIAL, FINAL or CORRECTED); the lab's HSA-id is filled in."""
        result = {"performingLabHSAId": self.lab, **laboratory_result}
        return self.connection.call("SetResult", laboratoryResult=result)


class SamplingSystem(_Role):
    """A sampling site's system: finds the order the patient comes for, registers the specimen."""

    def __init__(self, connection: Connection, unit: str | None = None) -> None:
        super().__init__(connection)
        self.unit = unit or connection.identity.sender

    def find_by_patient(self, number: str) -> list[Any]:
        return list(self.connection.call("GetOrders", patientId=person_id(number)).order)

    def find_by_referral(self, referral_id: str) -> list[Any]:
        return list(self.connection.call("GetOrders", referralId=[referral_id.strip().upper()]).order)

    def register_collected(self, order_id: str, barcode: str, material: Mapping[str, str] | None = None,
                           by: Mapping[str, str] | None = None, at: datetime | None = None) -> Any:
        specimen: dict[str, Any] = {"identifier": barcode, "collectedTime": timestamp(at)}
        if material:
            specimen["material"] = dict(material)
        return self.connection.call(
            "SetOrderStatus", orderId=order_id, status="SPECIMEN_COLLECTED", eventTime=timestamp(at),
            performedBy=dict(by) if by else self._system(), performingUnitHSAId=self.unit, specimen=[specimen],
        )

    def kit_sent(self, order_id: str) -> Any:
        return self.connection.call(
            "SetOrderStatus", orderId=order_id, status="KIT_SENT", eventTime=timestamp(),
            performedBy=self._system(), performingUnitHSAId=self.unit,
        )


class CitizenService(_Role):
    """The 1177 e-service, acting for the logged-in patient.

    An order is placed from an assigned offer (``offer_id``), or from a self-service entry of a
    care giver's catalogue (``care_giver`` and ``offer_code``, with ``offer_id`` None)."""

    def offers(self, number: str, statuses: Sequence[str] = ()) -> list[Any]:
        return list(self.connection.call("GetOffers", patientId=person_id(number), status=list(statuses) or None).offer)

    def catalogue_entry(self, care_giver: str, offer_code: str) -> Any | None:
        """The care giver's catalogue entry of an offer code (its preparation advice, say), if active."""
        entries = self.connection.call("GetOfferCatalog", careGiverHSAId=care_giver).offerDefinition
        return next((d for d in entries if d.offerCode == offer_code), None)

    def self_service_offers(self, care_giver: str) -> list[Any]:
        """The entries of the care giver's catalogue patients may order themselves."""
        return list(self.connection.call("GetOfferCatalog", careGiverHSAId=care_giver, selfService=True).offerDefinition)

    def sites(self, number: str, *, care_giver: str | None = None, offer_id: str | None = None,
              order_id: str | None = None) -> list[Any]:
        """The sampling sites the patient may choose: a care giver's, or those for an offer or order."""
        patient = person_id(number) if (offer_id or order_id) else None
        return list(self.connection.call("GetSamplingSites", careGiverHSAId=care_giver, offerId=offer_id,
                                         orderId=order_id, patientId=patient).samplingSite)

    def sites_of(self, number: str, orders: Sequence[Any]) -> dict[str, Any]:
        """The sampling sites of the care givers of these site orders, by HSA-id (for their names)."""
        care_givers = {o.accountableCareGiver for o in orders if o.samplingMode == "SITE" and o.samplingUnitHSAId}
        return {s.samplingUnitHSAId: s for cg in sorted(care_givers) for s in self.sites(number, care_giver=cg)}

    def order_site_sampling(self, offer_id: str | None, number: str, sampling_unit: str | None = None, *,
                            care_giver: str | None = None, offer_code: str | None = None,
                            performing_lab: str | None = None) -> Any:
        return self.connection.call("CreateOrder", offerId=offer_id, careGiverHSAId=care_giver, offerCode=offer_code,
                                    patientId=person_id(number), samplingMode="SITE", samplingUnitHSAId=sampling_unit,
                                    performingLabHSAId=performing_lab)

    def order_home_kit(self, offer_id: str | None, number: str, address: Mapping[str, str] | None,
                       phone: str | None = None, *, care_giver: str | None = None, offer_code: str | None = None,
                       pickup_point: str | None = None) -> Any:
        """A home kit to ``address``, or (``address`` None) to ``pickup_point``, a sampling site
        where the patient collects it (for a patient with protected identity the only way)."""
        return self.connection.call("CreateOrder", offerId=offer_id, careGiverHSAId=care_giver, offerCode=offer_code,
                                    patientId=person_id(number), samplingMode="HOME_KIT",
                                    samplingUnitHSAId=pickup_point,
                                    deliveryAddress=dict(address) if address is not None else None, contactPhone=phone)

    def orders(self, number: str, page_size: int = 100) -> list[Any]:
        """Every order of the patient, all pages."""
        return list(self._pages("GetOrders", "order", patientId=person_id(number), maxResults=page_size))

    def cancel(self, order_id: str, number: str) -> Any:
        return self.connection.call("CancelOrder", orderId=order_id,
                                    cancelledBy=actor("PATIENT", person_id(number)["id"]))

    def results(self, number: str, *, history: bool = False) -> list[Any]:
        """The patient's results; with ``history``, each with its earlier released versions."""
        return list(self.connection.call("GetResults", patientId=person_id(number),
                                         includeEarlierVersions=history or None).orderResult)

    def access_log(self, number: str, page_size: int = 100) -> Iterator[Any]:
        """Who has accessed the patient's data, newest first, page by page."""
        return self._pages("GetAccessLog", "accessLogEntry", patientId=person_id(number), maxResults=page_size)

    def notice_settings(self, number: str) -> Any | None:
        """The patient's choice of notices (channel, address, when changed); None if never chosen."""
        return self.connection.call("GetNoticeSettings", patientId=person_id(number)).noticeSettings

    def set_notice_settings(self, number: str, channel: str, email: str | None = None,
                            mobile: str | None = None) -> Any:
        """Choose notices by EMAIL (with ``email``), SMS (with ``mobile``) or NONE, as the patient."""
        patient = person_id(number)
        return self.connection.call("SetNoticeSettings", patientId=patient, channel=channel, emailAddress=email,
                                    mobileNumber=mobile, changedBy=actor("PATIENT", patient["id"]))


class EhrSystem(_Role):
    """A journal system: reads the catalogue, assigns and revokes offers, reads orders and results (its
    own contract's GetResults, and the national GetLaboratoryOrderOutcome)."""

    def __init__(self, connection: Connection, care_giver: str, care_unit: str) -> None:
        super().__init__(connection)
        self.care_giver = care_giver
        self.care_unit = care_unit

    def catalogue(self, sampling_mode: str | None = None) -> list[Any]:
        return list(self.connection.call("GetOfferCatalog", careGiverHSAId=self.care_giver,
                                         samplingMode=sampling_mode).offerDefinition)

    def assign(self, number: str, offer_code: str, staff: Mapping[str, str], comment: str | None = None,
               max_orders: int | None = None) -> Any:
        return self.connection.call(
            "AssignOffer", patientId=person_id(number), offerCode=offer_code, careGiverHSAId=self.care_giver,
            accountableCareUnit=self.care_unit, assignedBy=dict(staff), comment=comment, maxOrders=max_orders,
        )

    def revoke(self, offer_id: str, staff: Mapping[str, str], reason: str | None = None) -> Any:
        return self.connection.call("RevokeOffer", offerId=offer_id, revokedBy=dict(staff), reason=reason)

    def offers(self, number: str) -> list[Any]:
        return list(self.connection.call("GetOffers", patientId=person_id(number)).offer)

    def orders(self, number: str) -> list[Any]:
        return list(self.connection.call("GetOrders", patientId=person_id(number)).order)

    def results(self, number: str) -> list[Any]:
        return list(self.connection.call("GetResults", patientId=person_id(number)).orderResult)

    def laboratory_outcomes(self, number: str, at: str | None = None) -> list[Any]:
        """The patient's laboratory results of this care giver in the national shape
        (GetLaboratoryOrderOutcome), at the logical address ``at`` (the index names it) or the
        connection's."""
        answer = self.connection.call_at(at or self.connection.logical_address, "GetLaboratoryOrderOutcome",
                                         patientId=patient_ii(number),
                                         careGiverHSAId=[{"root": HSA_ID, "extension": self.care_giver}])
        return list(answer.laboratoryOrderOutcome or [])
