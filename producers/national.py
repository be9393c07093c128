"""The national results contract (clinicalprocess:healthcond:actoutcome, GetLaboratoryOrderOutcome 4)
to and from the domain: the request's filters as a command, and each released result in the
contract's shape. Nothing here decides what is answered (``services.outcomes`` does).

Identifiers are IIType (``root`` + ``extension``). A patient's ``root`` is the OID of the kind
of number (as ``PersonIdType.type``). An HSA-id field (care giver, care unit, source system, a
signing staff member, a unit's ``id``) has the HSA OID as ``root`` and the HSA-id as
``extension`` (a request's ``root`` for an HSA-id is not checked: consumers write it
differently). An id of the source system's own objects (the record, the order, the referral) has
the source system's HSA-id as ``root`` and the local id as ``extension``, as the contract's
description has it for ids that are not HSA-ids ("root sätts till källsystemets HSA-id och
extension till lokalt id i källsystemet"); the lab's own ids (its laboratory id, specimen
barcodes) likewise have the lab's HSA-id as ``root``. Name fields carry names: a unit's name
from the register of names (``eph units``), the HSA-id only where none is registered (the
contract requires the name). Codes the contract leaves to the producer's own code systems
(the report's type, the analysis status) are the service's enumerations under the project's OID
arc; interpretations are HL7 ObservationInterpretation codes."""

from __future__ import annotations

from typing import Any

from service_domain import commands
from service_domain.enums import ActorKind, AnalysisStatus, Interpretation
from service_domain.identity import PersonId
from service_domain.model import AnalysisResult, Code, Interval, Quantity, Specimen
from service_domain.services import LaboratoryOrderOutcomes, OutcomeView

from .mapping import day, ts

HSA_OID = "1.2.752.129.2.1.4.1"
# the project's OID arc (ITU-T X.667 UUID OID); .1 and .2 are the demo's analysis and rejection codes
_EPH_OID = "2.25.159671226030279178880944627251741285418"
REPORT_STATUS_SYSTEM = f"{_EPH_OID}.3"  # PRELIMINARY, PARTIAL, FINAL, CORRECTED
ANALYSIS_STATUS_SYSTEM = f"{_EPH_OID}.4"  # FINAL, PRELIMINARY, CANNOT_BE_DONE
HL7_INTERPRETATION = "2.16.840.1.113883.5.83"
INTERPRETATION_CODES = {
    Interpretation.NORMAL: "N",
    Interpretation.LOW: "L",
    Interpretation.HIGH: "H",
    Interpretation.POSITIVE: "POS",
    Interpretation.NEGATIVE: "NEG",
    Interpretation.INCONCLUSIVE: "IND",
}


# ------------------------------------------------------------------ incoming


def _extensions(items: Any) -> tuple[str, ...]:
    return tuple(i.extension.strip() for i in items or ())


def get_laboratory_order_outcome(r: Any, this_system: str) -> commands.GetLaboratoryOrderOutcome:
    period = r.datePeriod
    return commands.GetLaboratoryOrderOutcome(
        patient=PersonId(r.patientId.extension.strip(), r.patientId.root.strip()),
        this_system=this_system,
        care_units=_extensions(r.careUnitHSAId),
        care_givers=_extensions(r.careGiverHSAId),
        period_start=day(period.start, "datePeriod start") if period is not None else None,
        period_end=day(period.end, "datePeriod end") if period is not None else None,
        source_system=r.sourceSystemHSAId.extension.strip() if r.sourceSystemHSAId is not None else None,
        specimen_ids=_extensions(r.specimenIdentifier),
        referral_ids=_extensions(r.referralIdentifier),
    )


# ------------------------------------------------------------------ outgoing


def _hsa(hsa_id: str) -> dict[str, Any]:
    return {"root": HSA_OID, "extension": hsa_id}


def _local(system: str, local_id: str) -> dict[str, Any]:
    """An id of ``system``'s own: its HSA-id as root, the id it gave as extension."""
    return {"root": system, "extension": local_id}


def _unit(v: OutcomeView, hsa_id: str) -> dict[str, Any]:
    """OrgUnitType: the unit's HSA-id, and its registered name (the HSA-id if none is registered)."""
    return {"id": _hsa(hsa_id), "name": v.name(hsa_id) or hsa_id}


def _author(v: OutcomeView, reported: str | None) -> dict[str, Any] | None:
    """The staff member who signed the version, when the lab named one; else no author (a lab
    system or unit is not a person)."""
    signer = v.result.signed_by
    if signer is None or signer.kind is not ActorKind.STAFF:
        return None
    return {"id": _hsa(signer.id), "name": v.name(signer.id) or signer.name, "timestamp": reported}


def _cv(c: Code) -> dict[str, Any]:
    return {
        "code": c.code,
        "codeSystem": c.code_system,
        "codeSystemVersion": c.code_system_version,
        "displayName": c.display_name,
        "originalText": c.original_text,
        "codeSystemName": c.code_system_name,
    }


def _interval(i: Interval) -> dict[str, Any] | None:
    """PQIntervalType needs one unit: an interval whose bounds have none, or two, is not one."""
    units = {b.unit for b in (i.low, i.high) if b is not None}
    if len(units) != 1:
        return None
    return {
        "low": i.low.value if i.low else None,
        "lowClosed": i.low.inclusive if i.low else None,
        "high": i.high.value if i.high else None,
        "highClosed": i.high.inclusive if i.high else None,
        "unit": units.pop(),
    }


def _value(a: AnalysisResult) -> dict[str, Any]:
    v = a.value
    if isinstance(v, Quantity):
        return {"pq": {"value": v.value, "unit": v.unit}}
    if isinstance(v, Code):
        return {"cv": _cv(v)}
    if isinstance(v, Interval):
        interval = _interval(v)
        return {"intervalPQ": interval} if interval is not None else {"st": v.text or ""}
    return {"st": str(v)}


def _reference(i: Interval | None) -> dict[str, Any] | None:
    if i is None:
        return None
    interval = _interval(i)
    if interval is not None:  # only one of interval and description (the contract's rule009)
        return {"interval": interval}
    return {"description": i.text} if i.text else None


def _specimen(s: Specimen, lab: str) -> dict[str, Any] | None:
    if s.collected_time is None:  # SpecimenType needs its time
        return None
    return {
        "identifier": {"root": lab, "extension": s.identifier},
        "material": _cv(s.material) if s.material else None,
        "timestamp": ts(s.collected_time),
    }


def _analysis(a: AnalysisResult, specimens: list[dict[str, Any]]) -> dict[str, Any]:
    code = _cv(a.code)
    if a.display_name and not code["displayName"]:
        code["displayName"] = a.display_name
    result = None
    if a.value is not None:
        result = {
            "value": _value(a),
            "interpretation": (
                [{"code": INTERPRETATION_CODES[a.interpretation], "codeSystem": HL7_INTERPRETATION}]
                if a.interpretation else []
            ),
            "reference": _reference(a.reference_interval),
        }
    return {
        "code": code,
        "status": {"code": a.status.value, "codeSystem": ANALYSIS_STATUS_SYSTEM},
        "comment": a.comment,
        "specimen": specimens,
        "result": [result] if result else [],
    }


def laboratory_order_outcome_out(v: OutcomeView) -> dict[str, Any]:
    order, result = v.order, v.result
    reported = ts(result.report_time)
    specimens = [s for s in (_specimen(s, result.performing_lab) for s in order.specimens) if s is not None]
    analyses = [
        _analysis(a, specimens) for a in result.analysis_results if a.status is not AnalysisStatus.ENTERED_IN_ERROR
    ]
    recipient = order.result_recipient_unit or order.care_unit
    source = v.source_system
    care_unit = _unit(v, order.care_unit)
    return {
        "header": {
            "accessControlHeader": {
                "accountableCareGiver": _hsa(order.care_giver),
                "accountableCareUnit": _hsa(order.care_unit),
                "blockComparisonTime": reported,
                # only versions released to the patient are answered (services.outcomes)
                "approvedForPatient": True,
            },
            "sourceSystemId": _hsa(source),
            # one record an order: a newer version replaces the one answered before
            "record": {"id": _local(source, order.order_id), "timestamp": reported},
            "author": _author(v, reported),
        },
        "body": {
            "identifier": _local(source, order.order_id),
            "laboratoryIdentifier": (
                _local(result.performing_lab, result.laboratory_id) if result.laboratory_id else None
            ),
            "type": {"code": result.report_status.value, "codeSystem": REPORT_STATUS_SYSTEM},
            "text": result.comment,
            "referral": {
                "identifier": _local(source, order.referral_id),
                "timestamp": ts(order.created_time),
                # the order is the patient's own on the care unit's offer: the unit requests
                "requester": {"name": care_unit["name"], "orgUnit": care_unit},
            },
            # withdrawn analyses (ENTERED_IN_ERROR) are left out; a group needs one analysis
            "groupOfAnalyses": [{"name": order.display_name, "analysis": analyses}] if analyses else [],
            "recipientUnit": _unit(v, recipient),
        },
    }


def laboratory_order_outcomes_out(outcome: LaboratoryOrderOutcomes) -> dict[str, Any]:
    return {"laboratoryOrderOutcome": [laboratory_order_outcome_out(v) for v in outcome.views]}
