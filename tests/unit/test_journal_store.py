"""The journal system's own store of imported laboratory results: one entry per source system and
record id, the record's time its version; the same version again changes nothing, a newer one
(or the same time with other content) replaces it, an older one is left out."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from consumers.errors import ConsumerError
from consumers.journal.app import Journal, wanted
from consumers.journal.store import Imported, JournalStore, Record
from contracts.interactions import PROCESS_NOTIFICATION

FIRST = Record("SE5565594230-EPH", "order-1", "20261201120000", "199001012384", "SE2321000016-CU01", "FINAL",
               '{"value": "41"}')
CORRECTED = replace(FIRST, version_time="20261202090000", report_type="CORRECTED", content='{"value": "47"}')


@pytest.fixture
def journal() -> JournalStore:
    s = JournalStore("sqlite://")
    s.create()
    return s


def test_a_new_record_is_a_new_entry(journal: JournalStore) -> None:
    assert journal.import_record(FIRST, "20261201120500") is Imported.NEW


def test_the_same_version_again_changes_nothing(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    assert journal.import_record(FIRST, "20261201130000") is Imported.UNCHANGED


def test_the_same_version_again_leaves_one_entry(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    journal.import_record(FIRST, "20261201130000")
    assert len(journal.entries()) == 1


def test_a_newer_version_updates_the_entry(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    assert journal.import_record(CORRECTED, "20261202090500") is Imported.UPDATED


def test_a_newer_version_replaces_the_content(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    journal.import_record(CORRECTED, "20261202090500")
    assert [e.record.content for e in journal.entries()] == ['{"value": "47"}']


def test_a_newer_version_counts_the_versions(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    journal.import_record(CORRECTED, "20261202090500")
    assert journal.entries()[0].versions == 2


def test_an_older_version_arriving_late_is_left_out(journal: JournalStore) -> None:
    journal.import_record(CORRECTED, "20261202090500")
    assert journal.import_record(FIRST, "20261202091000") is Imported.OLDER


def test_an_older_version_does_not_replace_the_newer(journal: JournalStore) -> None:
    journal.import_record(CORRECTED, "20261202090500")
    journal.import_record(FIRST, "20261202091000")
    assert journal.entries()[0].record.report_type == "CORRECTED"


def test_other_content_at_the_same_time_updates_the_entry(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    assert journal.import_record(replace(FIRST, content='{"value": "43"}'), "20261201121000") is Imported.UPDATED


def test_another_source_s_record_of_the_same_id_is_its_own_entry(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    journal.import_record(replace(FIRST, source_system="SE2321000016-LIS9"), "20261201120600")
    assert len(journal.entries()) == 2


def test_entries_are_found_by_patient(journal: JournalStore) -> None:
    journal.import_record(FIRST, "20261201120500")
    journal.import_record(replace(FIRST, record_id="order-2", patient_id="199001012392"), "20261201120600")
    assert [e.record.record_id for e in journal.entries("199001012392")] == ["order-2"]


# ------------------------------------------------------------------ what a notification asks the journal to fetch

CORE = "urn:riv:itintegration:engagementindex:1"
ORG = "SE2321000016"


def _notification(*engagements: tuple[bool, dict[str, str]]) -> etree._Element:
    ns = PROCESS_NOTIFICATION.responder_ns
    body = etree.Element(f"{{{ns}}}ProcessNotification")
    for delete, values in engagements:
        t = etree.SubElement(body, f"{{{ns}}}engagementTransaction")
        etree.SubElement(t, f"{{{CORE}}}deleteFlag").text = "true" if delete else "false"
        e = etree.SubElement(t, f"{{{CORE}}}engagement")
        for name, value in values.items():
            etree.SubElement(e, f"{{{CORE}}}{name}").text = value
    return body


def _engagement(**changes: str) -> dict[str, str]:
    return {"registeredResidentIdentification": "199001012384", "serviceDomain": "riv:clinicalprocess:healthcond:actoutcome",
            "categorization": "und-kkm-ure", "logicalAddress": "SE5565594230-EPH", "dataController": ORG, **changes}


def test_an_engagement_of_the_care_giver_s_results_is_fetched() -> None:
    assert wanted(_notification((False, _engagement())), ORG) == [("SE5565594230-EPH", "199001012384")]


def test_a_deleted_engagement_is_not_fetched() -> None:
    assert wanted(_notification((True, _engagement())), ORG) == []


def test_another_care_giver_s_engagement_is_not_fetched() -> None:
    assert wanted(_notification((False, _engagement(dataController="SE2321000255"))), ORG) == []


def test_another_categorization_is_not_fetched() -> None:
    assert wanted(_notification((False, _engagement(categorization="und-mhs-dia"))), ORG) == []


def test_another_service_domain_is_not_fetched() -> None:
    assert wanted(_notification((False, _engagement(serviceDomain="riv:clinicalprocess:logistics:logistics"))), ORG) == []


def test_two_engagements_of_one_patient_and_source_are_one_fetch() -> None:
    twice = _notification((False, _engagement()), (False, _engagement(businessObjectInstanceIdentifier="x")))
    assert len(wanted(twice, ORG)) == 1


# ------------------------------------------------------------------ a source that fails for a while


class FlakySource:
    """An EhrSystem whose GetLaboratoryOrderOutcome fails ``failures`` times, then answers no outcomes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def laboratory_outcomes(self, patient: str, at: str) -> list[object]:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConsumerError("the service is temporarily unavailable")
        return []


def importing(source: FlakySource, journal: JournalStore, waits: list[float]) -> Journal:
    return Journal(journal, source, retry_delays=(1.0, 2.0), sleep=waits.append)  # type: ignore[arg-type]


def test_a_failed_fetch_is_asked_again(journal: JournalStore) -> None:
    source = FlakySource(failures=1)
    importing(source, journal, []).fetch_and_import([("SE5565594230-EPH", "191212121212")])
    assert source.calls == 2


def test_a_fetch_is_asked_again_after_each_delay_in_turn(journal: JournalStore) -> None:
    waits: list[float] = []
    importing(FlakySource(failures=2), journal, waits).fetch_and_import([("SE5565594230-EPH", "191212121212")])
    assert waits == [1.0, 2.0]


def test_a_fetch_failing_every_attempt_is_given_up(journal: JournalStore) -> None:
    source = FlakySource(failures=99)
    importing(source, journal, []).fetch_and_import([("SE5565594230-EPH", "191212121212")])
    assert source.calls == 3


def test_a_fetch_that_succeeds_is_not_asked_again(journal: JournalStore) -> None:
    source = FlakySource(failures=0)
    importing(source, journal, []).fetch_and_import([("SE5565594230-EPH", "191212121212")])
    assert source.calls == 1
