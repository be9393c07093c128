"""The patient's own copy (citizen web, "Mina uppgifter"): the structure built from the contract's
answers, its JSON, and its PDF read back with pypdf. The answers are stand-ins with the contract's
element names; nothing here calls a service."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace as Obj
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

from consumers.citizen_web import own_copy, texts
from consumers.roles import SWEDISH_TZ, CitizenService

PATIENT = "198503172382"
OWN = "SE5565594230-1177"
NOW = datetime(2026, 12, 8, 9, 30, tzinfo=SWEDISH_TZ)
HELD_VALUE = "HÅLLET-42"  # the value of a result the patient may not read yet


def mmol(value: str) -> Obj:
    return Obj(value=Decimal(value), unit="mmol/mol", inclusive=None)


def analysis(value: str = "48.5", status: str = "FINAL", comment: str | None = None) -> Obj:
    return Obj(code=Obj(code="NPU27300", codeSystem="1.2.752.108.1", displayName=None), displayName="HbA1c",
               pq=Obj(value=Decimal(value), unit="mmol/mol"), coded=None, interval=None, text=None,
               referenceInterval=Obj(low=mmol("27"), high=mmol("42"), text=None), interpretation="HIGH",
               status=status, comment=comment)


def held_analysis() -> Obj:
    return Obj(code=Obj(code="CT-NAAT", codeSystem="local", displayName=None), displayName="Klamydia", pq=None,
               coded=Obj(code="x", displayName=HELD_VALUE, originalText=None), interval=None, text=None,
               referenceInterval=None, interpretation="POSITIVE", status="FINAL", comment=None)


def report(version: int, status: str, day: int, analyses: list[Obj], comment: str | None = None) -> Obj:
    return Obj(resultVersion=version, reportStatus=status, reportTime=f"202611{day:02d}101500", comment=comment,
               analysisResult=analyses)


def order(n: int, status: str, name: str = "HbA1c, långtidsblodsocker", address: Obj | None = None) -> Obj:
    return Obj(orderId=f"order-{n}", referralId=f"REF{n:04d}", offerCode="HBA1C", displayName=name, status=status,
               samplingMode="HOME_KIT" if address else "SITE", samplingUnitHSAId=None if address else "SE-SITE1",
               accountableCareGiver="SE2321000016-CG01", accountableCareUnit="SE2321000016-CU01",
               createdTime=f"202611{n:02d}101500", validTo="20270101000000", deliveryAddress=address)


def log_entry(n: int, interaction: str = "GetResults", action: str = "READ", system: str = "SE2321000016-EHR1",
              by: Obj | None = None) -> Obj:
    return Obj(time=f"202611{1 + n % 28:02d}1015{n % 60:02d}", action=action, interaction=interaction,
               systemHSAId=system, systemName="Journalsystemet", careGiverHSAId="SE2321000016-CG01",
               careUnitHSAId="SE2321000016-CU01", performedBy=by)


def sources(log_size: int = 3, comment: str = "Ta provet på morgonen.") -> own_copy.Sources:
    offer = Obj(offerId="offer-1", offerCode="CTNG", displayName="Klamydia och gonorré, test", status="ACTIVE",
                accountableCareGiver="SE2321000016-CG01", accountableCareUnit="SE2321000016-CU01",
                assignedTime="20261101101500", validTo="20270101000000", maxOrders=2, ordersPlaced=1,
                samplingMode=["SITE", "HOME_KIT"], comment=comment)
    home = Obj(name="Åsa Öberg", street="Ängsvägen 3", postalCode="111 22", city="Göteborg")
    released_order, held_order, waiting_order = order(1, "FINAL_RESULT", address=home), \
        order(2, "FINAL_RESULT", "Klamydia och gonorré"), order(3, "ORDERED")
    results = [
        Obj(order=released_order, result=report(2, "CORRECTED", 20, [analysis("48.5")], "Rättat efter kontroll."),
            releasedToPatient=True, releaseTime="20261120103000",
            earlierResult=[report(1, "FINAL", 19, [analysis("52.0")])]),
        # the service answers an order whose result is held without the result; were one sent
        # anyway, not released to the patient, the copy leaves it out all the same
        Obj(order=held_order, result=report(1, "FINAL", 21, [held_analysis()]), releasedToPatient=False,
            releaseTime=None, earlierResult=[]),
    ]
    staff = Obj(actorType="STAFF", id="SE2321000016-ST01", name="Sköterska Örn")
    log = [log_entry(0, "SetResult", "WRITE", by=staff), log_entry(1, "RecordFollowUpStep", "WRITE", by=staff),
           log_entry(2, "GetAccessLog", system=OWN, by=Obj(actorType="PATIENT", id=PATIENT, name=None))]
    log += [log_entry(n) for n in range(3, log_size)]
    settings = Obj(channel="SMS", emailAddress=None, mobileNumber="+46701234567", changedTime="20261102080000")
    site = Obj(samplingUnitHSAId="SE-SITE1", name="Provtagningen Gärdet",
               address=Obj(street="Värtavägen 1", postalCode="115 53", city="Stockholm"))
    return own_copy.Sources([offer], [released_order, held_order, waiting_order], results, settings, log,
                            {"SE-SITE1": site})


def build(**kwargs: Any) -> dict[str, Any]:
    return own_copy.document(sources(**kwargs), PATIENT, OWN, NOW)


def pdf_text(doc: dict[str, Any]) -> str:
    reader = PdfReader(BytesIO(own_copy.as_pdf(doc)))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build()


@pytest.fixture(scope="module")
def text(doc: dict[str, Any]) -> str:
    return pdf_text(doc)


# ------------------------------------------------------------------ the structure and its JSON


def test_the_json_names_its_format_and_version(doc: dict[str, Any]) -> None:
    data = json.loads(own_copy.as_json(doc))
    assert (data["format"], data["version"]) == (own_copy.COPY_FORMAT, own_copy.COPY_VERSION)


def test_the_json_has_every_section(doc: dict[str, Any]) -> None:
    data = json.loads(own_copy.as_json(doc))
    assert {"offers", "orders", "results", "noticeSettings", "accessLog"} <= set(data)


def test_the_json_keeps_swedish_letters_as_they_are(doc: dict[str, Any]) -> None:
    assert "Ängsvägen 3" in own_copy.as_json(doc).decode("utf-8")


def test_only_released_results_are_in_the_copy(doc: dict[str, Any]) -> None:
    assert [r["orderId"] for r in doc["results"]] == ["order-1"]


def test_a_held_result_leaves_no_trace_in_the_json(doc: dict[str, Any]) -> None:
    assert HELD_VALUE not in own_copy.as_json(doc).decode("utf-8")


def test_an_order_with_a_held_result_reads_as_still_at_the_lab(doc: dict[str, Any]) -> None:
    held = next(o for o in doc["orders"] if o["orderId"] == "order-2")
    assert (held["status"], held["statusText"]) == ("AT_LAB", texts.NOT_YET)


def test_an_order_with_a_released_result_says_so(doc: dict[str, Any]) -> None:
    released = next(o for o in doc["orders"] if o["orderId"] == "order-1")
    assert (released["status"], released["statusText"]) == ("RESULT_AVAILABLE", "Svar finns (rättat)")


def test_the_earlier_versions_of_a_corrected_result_are_kept(doc: dict[str, Any]) -> None:
    assert [r["resultVersion"] for r in doc["results"][0]["earlierVersions"]] == [1]


def test_values_are_written_with_a_decimal_comma_and_kept_exact(doc: dict[str, Any]) -> None:
    hba1c = doc["results"][0]["result"]["analyses"][0]
    assert (hba1c["value"], hba1c["quantity"]["value"]) == ("48,5 mmol/mol", "48.5")


def test_the_access_log_names_no_operation(doc: dict[str, Any]) -> None:
    # a lab's result and a follow-up read like any update of an order: no held finding shows
    written = own_copy.as_json(doc).decode("utf-8")
    assert re.search(r"SetResult|FollowUp|GetAccessLog", written) is None


def test_the_access_log_says_who_in_the_pages_words(doc: dict[str, Any]) -> None:
    assert [e["person"] for e in doc["accessLog"]] == ["Sköterska Örn", "Sköterska Örn", "Du själv"]


def test_this_e_service_is_named_as_such_in_the_access_log(doc: dict[str, Any]) -> None:
    assert doc["accessLog"][2]["system"] == texts.OWN_SYSTEM


def test_times_carry_the_swedish_offset(doc: dict[str, Any]) -> None:
    assert doc["results"][0]["releaseTime"] == "2026-11-20T10:30:00+01:00"


def test_no_notice_choice_is_said_as_such() -> None:
    bare = own_copy.document(own_copy.Sources([], [], [], None, []), PATIENT, OWN, NOW)
    assert bare["noticeSettings"]["channel"] == "NONE"


def test_the_file_name_holds_the_day_and_no_personal_data(doc: dict[str, Any]) -> None:
    assert own_copy.file_name(doc, "pdf") == "mina-uppgifter-2026-12-08.pdf"


# ------------------------------------------------------------------ the PDF


def test_the_pdf_has_the_sections_in_order(text: str) -> None:
    headings = ["Mina uppgifter", "Erbjudanden", "Beställningar", "Provsvar", "Aviseringar",
                "Vem har tittat på mina uppgifter"]
    places = [text.find(h) for h in headings]
    assert -1 not in places and places == sorted(places), places


def test_the_pdf_writes_swedish_letters(text: str) -> None:
    assert "Åsa Öberg, Ängsvägen 3, 111 22 Göteborg" in " ".join(text.split())


def test_the_pdf_names_the_site_of_a_site_order(text: str) -> None:
    assert "Provtagningen Gärdet, Värtavägen 1, 115 53 Stockholm" in " ".join(text.split())


def test_the_pdf_has_no_held_result(text: str) -> None:
    assert HELD_VALUE not in text


def test_the_pdf_shows_the_released_result_with_its_interval(text: str) -> None:
    assert "48,5 mmol/mol 27–42 mmol/mol" in " ".join(text.split())


def test_the_pdf_writes_dates_the_swedish_way(text: str) -> None:
    assert "svaret kom 2026-11-20 10:30" in text


def test_the_pdf_says_the_notice_choice(text: str) -> None:
    assert "Du får aviseringar med sms till 070-123 45 67." in text


def test_the_pdf_names_the_patient(text: str) -> None:
    assert "Personnummer 19850317-2382" in text


def test_a_long_access_log_is_all_in_the_pdf() -> None:
    text = pdf_text(build(log_size=300))
    assert len(re.findall(r"Läsning: Läste dina provsvar", text)) == 297


def test_the_pdf_is_a4() -> None:
    reader = PdfReader(BytesIO(own_copy.as_pdf(build(log_size=100))))
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages} == {
        (round(A4[0]), round(A4[1]))}


def test_the_pdf_text_stays_on_the_page() -> None:
    # a comment without spaces is broken inside its column rather than running off the page
    reader = PdfReader(BytesIO(own_copy.as_pdf(build(comment="Provtagningsinstruktion" * 8))))
    right: list[float] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():  # where the run of text ends: its start and its width in its font
            width = stringWidth(text.rstrip(), str(font["/BaseFont"]).lstrip("/"), size) * tm[0] * cm[0]
            right.append(tm[4] * cm[0] + cm[4] + width)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert max(right) <= A4[0] - 18 * 72 / 25.4 + 0.5  # the right margin, 18 mm


@pytest.mark.parametrize(("given", "printed"), [("Łucja Żak", "Lucja Zak"), ("Åsa – Öberg", "Åsa – Öberg"),
                                                 ("中", "?")])
def test_letters_the_pdf_fonts_lack_are_written_plainly(given: str, printed: str) -> None:
    assert own_copy.printable(given) == printed


# ------------------------------------------------------------------ paging


class PagedConnection:
    """Answers GetOrders in pages of the size asked for, with a continuation token while more remain."""

    def __init__(self, count: int) -> None:
        self.items = [Obj(orderId=f"order-{n}") for n in range(count)]
        self.calls = 0

    def call(self, name: str, continuationToken: str | None = None, maxResults: int = 100, **_: Any) -> Obj:
        self.calls += 1
        start = int(continuationToken or 0)
        end = start + maxResults
        return Obj(order=self.items[start:end], continuationToken=str(end) if end < len(self.items) else None)


def test_every_page_of_the_orders_is_read() -> None:
    connection = PagedConnection(7)
    orders = CitizenService(connection).orders(PATIENT, page_size=3)  # type: ignore[arg-type]
    assert [o.orderId for o in orders] == [f"order-{n}" for n in range(7)]


def test_an_empty_copy_says_so_in_each_section() -> None:
    bare = own_copy.document(own_copy.Sources([], [], [], None, []), PATIENT, OWN, NOW)
    text = pdf_text(bare)
    said = [empty for _, _, empty, _ in own_copy.SECTIONS if empty]
    assert [s for s in said if s not in text] == []
