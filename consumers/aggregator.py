"""A national aggregating service (as NPÖ and 1177 Journalen read laboratory results), speaking only
the national contracts through the platform.

Given a patient it asks the engagement index where the patient has laboratory results
(``FindContent``, service domain ``riv:clinicalprocess:healthcond:actoutcome``, categorization
``und-kkm-ure``), then calls ``GetLaboratoryOrderOutcome`` once at each distinct logical address the
engagements name (as the national aggregating service does: one call per source, however many
engagements point there), and merges the answers, newest report first. A source that fails is
reported with the others' answers, not instead of them (as the national service's processing
status does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.interactions import FIND_CONTENT, GET_LABORATORY_ORDER_OUTCOME

from .client import Connection
from .engagement_index.config import ENGAGEMENT_INDEX
from .errors import ConsumerError
from .roles import patient_ii, person_id

SERVICE_DOMAIN = "riv:clinicalprocess:healthcond:actoutcome"
# the domain's categorization of GetLaboratoryOrderOutcome's content
CATEGORIZATION = "und-kkm-ure"


@dataclass
class SourceStatus:
    """How the call to one logical address went: the records it answered, or the error."""

    logical_address: str
    records: int = 0
    error: str | None = None


@dataclass
class AggregatedOutcomes:
    """The merged records (zeep objects of LaboratoryOrderOutcomeType) and each source's status."""

    outcomes: list[Any] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(s.error is None for s in self.sources)


def record_key(outcome: Any) -> tuple[str, str]:
    """A record's identity across sources: its source system and its record id."""
    header = outcome.header
    return header.sourceSystemId.extension, header.record.id.extension


def newest_first(outcome: Any) -> tuple[str, str, str]:
    return (outcome.header.record.timestamp or "", *record_key(outcome))


class Aggregator:
    """The aggregating service, calling as its own HSA-id (``SE5565594230-AGP1`` in the demo)."""

    def __init__(self, connection: Connection, index: str = ENGAGEMENT_INDEX) -> None:
        self.connection = connection
        self.index = index

    def engagements(self, number: str) -> list[Any]:
        """The patient's engagements of laboratory outcomes in the index."""
        answer = self.connection.call_at(
            self.index, FIND_CONTENT, registeredResidentIdentification=person_id(number)["id"],
            serviceDomain=SERVICE_DOMAIN, categorization=CATEGORIZATION)
        return list(answer.engagement or [])

    def laboratory_outcomes(self, number: str) -> AggregatedOutcomes:
        """The patient's laboratory results from every source the index names, merged."""
        addresses = list(dict.fromkeys(e.logicalAddress for e in self.engagements(number)))
        merged: dict[tuple[str, str], Any] = {}
        sources = []
        for address in addresses:
            status = SourceStatus(address)
            try:
                answer = self.connection.call_at(address, GET_LABORATORY_ORDER_OUTCOME, patientId=patient_ii(number))
            except ConsumerError as e:
                status.error = f"{type(e).__name__}: {e}"
            else:
                found = list(answer.laboratoryOrderOutcome or [])
                status.records = len(found)
                for outcome in found:
                    # one record a source system and id; should two answers carry it, the newer stands
                    key = record_key(outcome)
                    if key not in merged or newest_first(outcome) > newest_first(merged[key]):
                        merged[key] = outcome
            sources.append(status)
        return AggregatedOutcomes(sorted(merged.values(), key=newest_first, reverse=True), sources)
