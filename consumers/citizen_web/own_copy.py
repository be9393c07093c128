"""The patient's own copy of their data (GDPR article 15): "Mina uppgifter".

``fetch`` reads everything the e-service may show the patient, with the same contract calls as the
pages (each audited by the service as a read by the citizen e-service): offers, all pages of the
orders, results with their earlier released versions, notice settings and, last, all pages of the
access log (so it holds the copy's own reads). ``document`` turns the answers into one plain
structure, the JSON shape (``COPY_FORMAT``, ``COPY_VERSION``; docs/citizen-web.md); ``as_json`` and
``as_pdf`` write it as bytes in memory. Nothing is written to disk or kept.

What the patient may not read yet stays out, as on the pages: the service gives the e-service
no held result (an order with one comes without its result, and shows as "not yet ready"), and
an order's status and the access log are given in the words the pages use, which do not tell a
held finding from an order still at the lab."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from ..roles import SWEDISH_TZ, CitizenService, person_id
from . import texts

COPY_FORMAT = "eph-citizen-copy"
COPY_VERSION = 1
# the order statuses a patient's copy names as they are; those between the lab's receipt and a
# released result are one, AT_LAB, as on the pages (a held result must not show)
SHOWN_STATUSES = frozenset({"ORDERED", "KIT_SENT", "SPECIMEN_COLLECTED", "CANCELLED", "REJECTED", "EXPIRED"})
LOG_PAGE_SIZE = 1000  # the contract's largest page
ORDER_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Sources:
    """The service's answers, as the contract's response objects."""

    offers: list[Any]
    orders: list[Any]
    results: list[Any]
    notice_settings: Any | None
    access_log: list[Any]
    sites: dict[str, Any] = field(default_factory=dict)  # the orders' sampling sites, by HSA-id


def fetch(service: CitizenService, number: str) -> Sources:
    """Every answer the copy needs; a refusal or an unreachable service raises (no partial copy)."""
    offers = service.offers(number)
    orders = service.orders(number, page_size=ORDER_PAGE_SIZE)
    results = service.results(number, history=True)
    settings = service.notice_settings(number)
    sites = service.sites_of(number, orders)
    log = list(service.access_log(number, page_size=LOG_PAGE_SIZE))
    return Sources(offers, orders, results, settings, log, sites)


# ------------------------------------------------------------------ the structure (the JSON shape)


def iso(ts: str | None) -> str | None:
    """TimeStampType (YYYYMMDDhhmmss, Swedish local time) as ISO 8601 with the offset."""
    if not ts:
        return None
    moment = datetime.strptime(ts[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=SWEDISH_TZ)
    return moment.isoformat()


def _released(results: list[Any]) -> dict[str, Any]:
    """The orders' results the patient may read, by order id (the service sends no held one;
    an order whose result is held comes without it and is left out here too)."""
    return {r.order.orderId: r for r in results if r.result is not None and r.releasedToPatient}


def _order_status(order: Any, released: dict[str, Any]) -> tuple[str, str]:
    view = released.get(order.orderId)
    if view is not None:
        return "RESULT_AVAILABLE", texts.WITH_RESULT.get(view.result.reportStatus, texts.NOT_YET)
    if order.status in SHOWN_STATUSES:
        return order.status, texts.STATUS[order.status]
    return "AT_LAB", texts.NOT_YET


def _offer(o: Any) -> dict[str, Any]:
    return {
        "offerId": o.offerId, "offerCode": o.offerCode, "name": o.displayName,
        "status": o.status, "statusText": texts.OFFER_STATUS.get(o.status, o.status),
        "careGiverHSAId": o.accountableCareGiver, "careUnitHSAId": o.accountableCareUnit,
        "assignedTime": iso(o.assignedTime), "validTo": iso(o.validTo),
        "maxOrders": o.maxOrders, "ordersPlaced": o.ordersPlaced,
        "samplingModes": list(o.samplingMode or []),
        "samplingModesText": [texts.MODE.get(m, m) for m in o.samplingMode or []],
        "comment": o.comment,
    }


def _address(a: Any, name: str) -> dict[str, Any]:
    return {"name": name, "street": a.street, "postalCode": a.postalCode, "city": a.city}


def _order(o: Any, released: dict[str, Any], sites: dict[str, Any]) -> dict[str, Any]:
    status, status_text = _order_status(o, released)
    address, site = o.deliveryAddress, sites.get(o.samplingUnitHSAId or "")
    return {
        "orderId": o.orderId, "referralId": o.referralId, "offerCode": o.offerCode, "name": o.displayName,
        "status": status, "statusText": status_text,
        "samplingMode": o.samplingMode, "samplingModeText": texts.MODE.get(o.samplingMode, o.samplingMode),
        "samplingUnitHSAId": o.samplingUnitHSAId,
        "samplingSite": None if site is None else _address(site.address, site.name),
        "careGiverHSAId": o.accountableCareGiver, "careUnitHSAId": o.accountableCareUnit,
        "createdTime": iso(o.createdTime), "validTo": iso(o.validTo),
        "deliveryAddress": None if address is None else _address(address, address.name),
    }


def _analysis(a: Any) -> dict[str, Any]:
    if a.status in texts.ANALYSIS_STATUS and a.status != "PRELIMINARY":
        shown = texts.ANALYSIS_STATUS[a.status]
    else:
        shown = texts.value(a) + (" (preliminärt)" if a.status == "PRELIMINARY" else "")
    pq = a.pq
    return {
        "code": {"code": a.code.code, "codeSystem": a.code.codeSystem},
        "name": a.displayName or a.code.displayName or a.code.code,
        "value": shown,
        "quantity": None if pq is None else {"value": str(pq.value), "unit": pq.unit},
        "referenceInterval": texts.interval(a.referenceInterval) or None,
        "interpretation": a.interpretation,
        "interpretationText": texts.INTERPRETATION.get(a.interpretation) if a.interpretation else None,
        "status": a.status,
        "comment": a.comment,
    }


def _report(r: Any) -> dict[str, Any]:
    return {
        "resultVersion": r.resultVersion, "reportStatus": r.reportStatus,
        "reportStatusText": texts.REPORT.get(r.reportStatus, r.reportStatus),
        "reportTime": iso(r.reportTime), "comment": r.comment,
        "analyses": [_analysis(a) for a in r.analysisResult],
    }


def _result(view: Any) -> dict[str, Any]:
    return {
        "orderId": view.order.orderId, "referralId": view.order.referralId, "name": view.order.displayName,
        "releaseTime": iso(view.releaseTime),
        "result": _report(view.result),
        "earlierVersions": [_report(r) for r in view.earlierResult or []],
    }


def _entry(e: Any, patient: str, own_system: str) -> dict[str, Any]:
    # what was done in the pages' words, never the operation's name (a lab's result and a
    # follow-up read like any other update or look-up: a held finding must not show)
    return {
        "time": iso(e.time), "action": e.action, "actionText": texts.ACTION.get(e.action, ""),
        "what": texts.access(e.interaction, e.action),
        "system": texts.system(e, own_system), "systemHSAId": e.systemHSAId,
        "careUnit": texts.place(e, "careUnit") or None, "careGiver": texts.place(e, "careGiver") or None,
        "person": texts.person(e, patient) or None,
    }


def _settings(s: Any | None) -> dict[str, Any]:
    if s is None:
        return {"channel": "NONE", "emailAddress": None, "mobileNumber": None, "changedTime": None,
                "text": texts.notice_choice(None)}
    return {"channel": s.channel, "emailAddress": s.emailAddress, "mobileNumber": s.mobileNumber,
            "changedTime": iso(s.changedTime), "text": texts.notice_choice(s)}


def document(sources: Sources, number: str, own_system: str, now: datetime) -> dict[str, Any]:
    """The copy as one structure: what ``as_json`` writes and ``as_pdf`` lays out."""
    patient = person_id(number)["id"]
    released = _released(sources.results)
    orders = sorted(sources.orders, key=lambda o: o.createdTime, reverse=True)
    shown = sorted(released.values(), key=lambda v: v.result.reportTime, reverse=True)
    return {
        "format": COPY_FORMAT,
        "version": COPY_VERSION,
        "createdTime": now.astimezone(SWEDISH_TZ).replace(microsecond=0).isoformat(),
        "patient": {"personnummer": texts.personnummer(patient)},
        "offers": [_offer(o) for o in sorted(sources.offers, key=lambda o: o.assignedTime, reverse=True)],
        "orders": [_order(o, released, sources.sites) for o in orders],
        "results": [_result(v) for v in shown],
        "noticeSettings": _settings(sources.notice_settings),
        "accessLog": [_entry(e, patient, own_system) for e in sources.access_log],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def as_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


# ------------------------------------------------------------------ the PDF

WIDTH = A4[0] - 36 * mm  # the text width between margins of 18 mm
_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=9.5, leading=12.5, alignment=TA_LEFT)
STYLES = {
    "title": ParagraphStyle("title", _BASE, fontName="Helvetica-Bold", fontSize=18, leading=22, spaceAfter=6),
    "h2": ParagraphStyle("h2", _BASE, fontName="Helvetica-Bold", fontSize=13.5, leading=17, spaceBefore=12,
                         spaceAfter=5),
    "h3": ParagraphStyle("h3", _BASE, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8,
                         spaceAfter=3),
    "text": ParagraphStyle("text", _BASE, spaceAfter=4),
    "cell": ParagraphStyle("cell", _BASE, fontSize=8.5, leading=10.5),
    "head": ParagraphStyle("head", _BASE, fontName="Helvetica-Bold", fontSize=8.5, leading=10.5),
    "meta": ParagraphStyle("meta", _BASE, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444")),
}
_TABLE = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b8c0")),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
])


# letters Unicode does not decompose into a base letter and an accent
_BASE_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i"})


def printable(text: str) -> str:
    """Text in what the PDF's standard fonts can show (Windows-1252: all of Swedish, å ä ö é ü and
    dashes); another letter loses its accent where Unicode decomposes it (ż as z), else it becomes
    "?" (the fonts would draw a box); ł is l. The JSON copy keeps every letter."""
    out = []
    for ch in text.translate(_BASE_LETTERS):
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(_encodable(c) for c in base) else "?")
    return "".join(out)


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _p(text: Any, style: str = "text") -> Paragraph:
    escaped = printable(str(text if text is not None else "")).replace("&", "&amp;").replace("<", "&lt;")
    return Paragraph(escaped.replace(">", "&gt;").replace("\n", "<br/>"), STYLES[style])


def _table(head: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    """A table across the page's width (``widths`` in shares of it), its head repeated on each page."""
    data = [[_p(h, "head") for h in head]] + [[_p(c, "cell") for c in row] for row in rows]
    total = sum(widths)
    table = Table(data, colWidths=[WIDTH * w / total for w in widths], repeatRows=1)
    table.setStyle(_TABLE)
    return table


def _day(iso_time: str | None, with_time: bool = False) -> str:
    """An ISO time of the structure as the pages show it: 2026-11-26 (10:15)."""
    if not iso_time:
        return ""
    return iso_time[:10] + (f" {iso_time[11:16]}" if with_time else "")


def _offers(doc: dict[str, Any]) -> list[Flowable]:
    rows = [[o["name"], o["statusText"], _day(o["assignedTime"]), _day(o["validTo"]),
             f"{o['ordersPlaced']} av {o['maxOrders']}", " eller ".join(o["samplingModesText"]).capitalize()
             + (f"\n{o['comment']}" if o["comment"] else "")] for o in doc["offers"]]
    return [_p("Prov som din vårdgivare har erbjudit dig."),
            _table(["Prov", "Status", "Erbjudet", "Gäller till", "Beställda", "Sätt och kommentar"], rows,
                   [3, 2, 1.9, 1.9, 1.4, 3.6])]


def _orders(doc: dict[str, Any]) -> list[Flowable]:
    rows = []
    for o in doc["orders"]:
        how = o["samplingModeText"]
        a = o["deliveryAddress"] or o["samplingSite"]
        if a:
            how += f"\n{a['name']}, {a['street']}, {a['postalCode']} {a['city']}"
        rows.append([o["name"], o["referralId"], _day(o["createdTime"], True), how, o["statusText"]])
    return [_table(["Prov", "Remisskod", "Beställd", "Sätt", "Status"], rows, [3, 2, 2.1, 3.6, 2.6])]


def _analyses(report: dict[str, Any]) -> list[Flowable]:
    meta = f"{report['reportStatusText']} · {_day(report['reportTime'], True)}"
    if report["resultVersion"] > 1:
        meta += f" · version {report['resultVersion']}"
    rows = [[a["name"] + (f"\n{a['comment']}" if a["comment"] else ""), a["value"], a["referenceInterval"] or "",
             a["interpretationText"] or ""] for a in report["analyses"]]
    part: list[Flowable] = [_p(meta, "meta"),
                            _table(["Analys", "Resultat", "Referensintervall", "Bedömning"], rows, [3.4, 2.6, 2.6, 2.4])]
    if report["comment"]:
        part.append(_p(f"Kommentar från laboratoriet: {report['comment']}", "meta"))
    return part


def _results(doc: dict[str, Any]) -> list[Flowable]:
    part: list[Flowable] = []
    for r in doc["results"]:
        head = [_p(r["name"], "h3"),
                _p(f"Remisskod {r['referralId']}" + (f" · svaret kom {_day(r['releaseTime'], True)}"
                                                     if r["releaseTime"] else ""), "meta")]
        part.append(KeepTogether(head + _analyses(r["result"])))
        for older in r["earlierVersions"]:
            earlier = _p(f"Tidigare version {older['resultVersion']} (rättad av laboratoriet)", "meta")
            part.append(KeepTogether([Spacer(1, 5), earlier] + _analyses(older)))
    return part


def _notices(doc: dict[str, Any]) -> list[Flowable]:
    s = doc["noticeSettings"]
    part: list[Flowable] = [_p(s["text"])]
    if s["changedTime"]:
        part.append(_p(f"Senast ändrat {_day(s['changedTime'], True)}.", "meta"))
    return part


def _access_log(doc: dict[str, Any]) -> list[Flowable]:
    part: list[Flowable] = [_p("Vilka system och vilken personal som har läst eller ändrat dina uppgifter i "
                               f"tjänsten, det senaste först ({texts.counted(len(doc['accessLog']), 'händelse', 'händelser')}).")]
    rows = [[_day(e["time"], True), f"{e['actionText']}: {e['what']}", e["system"],
             "\n".join(x for x in (e["careUnit"], e["careGiver"]) if x), e["person"] or ""] for e in doc["accessLog"]]
    return part + [_table(["Tid", "Händelse", "System", "Vårdenhet och vårdgivare", "Person"], rows,
                          [2, 3.2, 2.6, 3.2, 2])]


# the PDF's sections: heading, the structure's part, what is said when it is empty, and the layout
SECTIONS = (
    ("Erbjudanden", "offers", "Du har inga erbjudanden.", _offers),
    ("Beställningar", "orders", "Du har inga beställningar.", _orders),
    ("Provsvar", "results", "Du har inga provsvar att läsa än.", _results),
    ("Aviseringar", "noticeSettings", "", _notices),
    ("Vem har tittat på mina uppgifter", "accessLog", "Ingen har läst eller ändrat dina uppgifter.", _access_log),
)


def _page_number(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(colors.HexColor("#444444"))
    canvas.drawString(18 * mm, 10 * mm, "Mina uppgifter – Egen provhantering – 1177")
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Sida {doc.page}")
    canvas.restoreState()


def as_pdf(doc: dict[str, Any]) -> bytes:
    out = BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title="Mina uppgifter", author="1177 – Egen provhantering",
                            creator="1177 – Egen provhantering", subject="Kopia av dina uppgifter",
                            lang="sv-SE")
    story: list[Flowable] = [
        _p("Mina uppgifter", "title"),
        _p("En kopia av dina uppgifter i Egen provhantering: erbjudanden, beställningar, provsvar som du kan "
           "läsa, dina val för aviseringar och vem som har tittat på dina uppgifter."),
        _p(f"Personnummer {doc['patient']['personnummer']} · skapad {_day(doc['createdTime'], True)}", "meta"),
        Spacer(1, 4),
    ]
    for heading, key, empty, layout in SECTIONS:
        story += [_p(heading, "h2")] + (layout(doc) if doc[key] else [_p(empty)])
    pdf.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()


def file_name(doc: dict[str, Any], suffix: str) -> str:
    """The download's name: the day only, no personal data."""
    return f"mina-uppgifter-{doc['createdTime'][:10]}.{suffix}"
