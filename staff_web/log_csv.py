"""The log review's export as CSV (semicolon-separated, UTF-8 with a byte order mark, the way
Swedish spreadsheets open it), one row at a time, for the staff web's download and ``eph audit
export``. The rows hold what the reviewer is entitled to see, the patient's id included; they
are written to the reviewer, never to a log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from service_domain.clock import SWEDISH_TZ
from service_domain.model import Flag, LoggedAccess

ACCESS_HEADER = ("Tid", "Patient", "Åtgärd", "Interaktion", "Medarbetare", "Vårdenhet", "System", "Logg-id", "Post")
FLAG_HEADER = (*ACCESS_HEADER, "Kontroll", "Förklaring", "Granskad", "Granskad av", "Anteckning")
ACTION = {"READ": "Läsning", "WRITE": "Ändring"}


def _cell(value: object) -> str:
    """A cell a spreadsheet will not read as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def access_row(a: LoggedAccess) -> list[str]:
    r = a.record
    return [
        r.time.astimezone(SWEDISH_TZ).strftime("%Y-%m-%d %H:%M:%S"), r.patient_id, ACTION.get(r.action.value, r.action.value),
        r.operation.value, r.actor_id or "", r.care_unit or "", r.consumer_hsa_id or "", r.log_id, str(a.record_id),
    ]


def flag_row(f: Flag) -> list[str]:
    review = f.review
    reviewed = review.reviewed_time.astimezone(SWEDISH_TZ).strftime("%Y-%m-%d %H:%M") if review else ""
    return [*access_row(f.access), f.name, f.explanation, reviewed,
            review.reviewed_by if review else "", review.note if review else ""]


def lines(header: Sequence[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, a line at a time (the header first, after the byte order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def line(cells: Sequence[object]) -> str:
        writer.writerow([_cell(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)
