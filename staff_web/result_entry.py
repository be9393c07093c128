"""Typing in a lab's result: one part of the form per analysis of the order, how the form
becomes a result version for ``services.set_result`` (and a stored version the form again,
for a correction), and where the service's refusals are shown.

The staff web is an entry point like the SOAP producer: it checks what the contract's schema
would (numbers as xs:decimal, lengths, the lab's id) and leaves the rules to the service
layer (UCUM units, intervals, versions, the status machine, who may report)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.datastructures import MultiDict
from wtforms import Field

from service_domain import manual_results
from service_domain.errors import DomainError, InvalidRequest, RuleViolation, SubCode
from service_domain.model import (
    Actor,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    Bound,
    Code,
    Interpretation,
    Interval,
    LaboratoryResult,
    Order,
    OrderStatus,
    Quantity,
    ResultRelease,
    StoredResult,
    Value,
)

from . import display
from .forms import CHOOSE, REQUIRED, AnalysisForm, ResultForm, options
from .messages import swedish

QUANTITY, CODED, TEXT, INTERVAL, NOT_DONE, NONE = "quantity", "coded", "text", "interval", "not_done", "none"
KIND_LABELS = {
    QUANTITY: "Mätvärde med enhet",
    CODED: "Fynd ur listan",
    TEXT: "Text",
    INTERVAL: "Gränsvärde (till exempel < 0,5)",
    NOT_DONE: "Kan inte utföras",
    NONE: "Inget svar i den här versionen",
}
# the contract's xs:decimal (no exponent, no NaN); staff may type a decimal comma
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_LAB_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
NOT_A_NUMBER = "Skriv ett tal, till exempel 5,2 eller 0,05."


def decimal_text(raw: str | None) -> str | None:
    """The number as the contract writes it (a comma becomes a point, nothing else changes), or None."""
    text = (raw or "").strip().replace(",", ".")
    return text if _DECIMAL.fullmatch(text) else None


def code_key(c: Code) -> str:
    return "|".join(c.key)


@dataclass
class Entry:
    """The part of the form for one analysis of the order."""

    analysis: Analysis
    form: AnalysisForm
    choices: dict[str, Code] = field(default_factory=dict)

    @property
    def positive(self) -> set[str]:
        return {code_key(p) for p in self.analysis.positive_values}


def entries(order: Order, formdata: MultiDict[str, str] | None = None) -> list[Entry]:
    out = []
    for n, analysis in enumerate(order.analyses, start=1):
        form = AnalysisForm(formdata, prefix=f"a{n}")
        coded = manual_results.coded_choices(analysis)
        kinds = ([CODED, QUANTITY] if coded else [QUANTITY]) + [TEXT, INTERVAL, NOT_DONE, NONE]
        form.kind.choices = options((k, KIND_LABELS[k]) for k in kinds)
        choices = {code_key(c): c for c in coded}
        form.coded.choices = options((("", "Välj fynd"), *((k, display.code(c)) for k, c in choices.items())))
        if formdata is None:
            form.kind.data = kinds[0]
        out.append(Entry(analysis, form, choices))
    return out


# ---------------------------------------------------------------- a stored version into the form


def _fill_value(f: AnalysisForm, v: Value | None, choices: dict[str, Code]) -> None:
    if isinstance(v, Quantity):
        f.kind.data, f.value.data, f.unit.data = QUANTITY, display.number(v.value), v.unit
    elif isinstance(v, Code) and code_key(v) in choices:
        f.kind.data, f.coded.data = CODED, code_key(v)
    elif isinstance(v, Code):
        f.kind.data, f.text.data = TEXT, display.code(v)
    elif isinstance(v, Interval) and (v.low or v.high):
        bound = v.high or v.low
        assert bound is not None
        f.kind.data = INTERVAL
        f.limit_op.data = ("<" if v.high else ">") + ("=" if bound.inclusive else "")
        f.limit_value.data, f.limit_unit.data = display.number(bound.value), bound.unit
    elif isinstance(v, str):
        f.kind.data, f.text.data = TEXT, v


def prefill(items: list[Entry], stored: StoredResult | None) -> None:
    """Start from the newest version (a preliminary result on its way to final, or a correction)."""
    if stored is None or stored.result.is_withdrawal:
        return
    reported = {a.code.key: a for a in stored.result.analysis_results}
    for e in items:
        a = reported.get(e.analysis.code.key)
        f = e.form
        if a is None or a.status is AnalysisStatus.ENTERED_IN_ERROR:
            f.kind.data = NONE
            continue
        if a.status is AnalysisStatus.CANNOT_BE_DONE:
            f.kind.data = NOT_DONE
        else:
            _fill_value(f, a.value, e.choices)
        f.interpretation.data = a.interpretation.value if a.interpretation else ""
        ri = a.reference_interval
        if ri is not None:
            f.ref_low.data = display.number(ri.low.value) if ri.low else ""
            f.ref_high.data = display.number(ri.high.value) if ri.high else ""
            f.ref_unit.data = (ri.low or ri.high).unit if (ri.low or ri.high) else ""  # type: ignore[union-attr]
            f.ref_text.data = ri.text or ""
        f.comment.data = a.comment or ""


# ---------------------------------------------------------------- the form into a result version


def _error(f: Field, message: str) -> None:
    f.errors = [*f.errors, message]


def _number(f: Field, raw: str | None, required: str = "Fyll i värdet.") -> str | None:
    """A number field's value as the contract writes it; else an error on the field."""
    if not (raw or "").strip():
        _error(f, required)
        return None
    text = decimal_text(raw)
    if text is None:
        _error(f, NOT_A_NUMBER)
    return text


def _required(f: Field, message: str = REQUIRED) -> str | None:
    text = (f.data or "").strip()
    if not text:
        _error(f, message)
        return None
    return text


def _value(e: Entry) -> tuple[Value | None, str | None]:
    """The analysis's value and the unit it was given in (for the reference interval)."""
    f = e.form
    kind = f.kind.data
    if kind == QUANTITY:
        number, unit = _number(f.value, f.value.data), _required(f.unit, "Fyll i enheten.")
        return (Quantity(number, unit) if number and unit else None), unit
    if kind == CODED:
        chosen = e.choices.get(f.coded.data or "")
        if chosen is None:
            _error(f.coded, "Välj ett fynd.")
        return chosen, None
    if kind == TEXT:
        return _required(f.text, "Skriv svaret."), None
    if kind == INTERVAL:
        op = f.limit_op.data
        number, unit = _number(f.limit_value, f.limit_value.data), _required(f.limit_unit, "Fyll i enheten.")
        if op not in ("<", "<=", ">", ">="):
            _error(f.limit_op, CHOOSE)
            return None, unit
        if not (number and unit):
            return None, unit
        bound = Bound(number, unit, inclusive=op.endswith("="))
        return (Interval(high=bound) if op.startswith("<") else Interval(low=bound)), unit
    return None, None


def _interpretation(e: Entry, order: Order, value: Value | None) -> Interpretation | None:
    f = e.form
    raw = f.interpretation.data or ""
    if raw not in {i.value for i in Interpretation} | {""}:
        _error(f.interpretation, CHOOSE)
        return None
    chosen = Interpretation(raw) if raw else None
    if chosen is None and order.notifiable:
        _error(
            f.interpretation,
            "Välj en bedömning. Svaret på ett anmälningspliktigt prov släpps direkt bara när bedömningen är Negativ; "
            "annars går det till uppföljning.")
    if isinstance(value, Code):
        if code_key(value) in e.positive and chosen is Interpretation.NEGATIVE:
            _error(f.interpretation, f"Fyndet ”{display.code(value)}” kan inte bedömas som negativt.")
        if value.same_concept(manual_results.NOT_DETECTED) and chosen is Interpretation.POSITIVE:
            _error(f.interpretation, f"Fyndet ”{display.code(value)}” kan inte bedömas som positivt.")
    return chosen


def _reference(e: Entry, value_unit: str | None) -> Interval | None:
    f = e.form
    low_raw, high_raw = (f.ref_low.data or "").strip(), (f.ref_high.data or "").strip()
    text = (f.ref_text.data or "").strip() or None
    if not (low_raw or high_raw or text):
        return None
    low = _number(f.ref_low, low_raw) if low_raw else None
    high = _number(f.ref_high, high_raw) if high_raw else None
    unit = (f.ref_unit.data or "").strip() or value_unit or ""
    if (low_raw or high_raw) and not unit:
        _error(f.ref_unit, "Fyll i referensintervallets enhet.")
        return None
    return Interval(Bound(low, unit) if low else None, Bound(high, unit) if high else None, text)


def build(
    order: Order,
    main: ResultForm,
    items: list[Entry],
    version: int,
    report_time: datetime,
    signed_by: Actor,
) -> LaboratoryResult | None:
    """The result version the form describes, or None with the errors on the fields.
    Every error is reported at once (the service then checks what is left)."""
    final = main.report.data == "FINAL" or order.status is OrderStatus.FINAL_RESULT
    status = AnalysisStatus.FINAL if final else AnalysisStatus.PRELIMINARY
    results: list[AnalysisResult] = []
    for e in items:
        f = e.form
        kind = f.kind.data
        if f.kind.errors:  # not one of the choices
            continue
        comment = (f.comment.data or "").strip() or None
        if kind == NONE:
            if final:
                _error(f.kind, "Ett slutligt svar har ett svar för varje analys (eller ”Kan inte utföras”).")
            continue
        if kind == NOT_DONE:
            results.append(AnalysisResult(e.analysis.code, None, AnalysisStatus.CANNOT_BE_DONE,
                                          e.analysis.display_name, comment=comment))
            continue
        value, unit = _value(e)
        interpretation = _interpretation(e, order, value)
        reference = _reference(e, unit)
        if value is not None:
            results.append(AnalysisResult(e.analysis.code, value, status, e.analysis.display_name,
                                          reference, interpretation, comment))
    lab_id = (main.laboratory_id.data or "").strip() or None
    if lab_id is not None and not _LAB_ID.fullmatch(lab_id):
        _error(main.laboratory_id, "Bara bokstäver, siffror och tecknen . _ : - (högst 64).")
    if any(f.errors for e in items for f in e.form) or any(f.errors for f in main):
        return None
    if not results:
        _error(items[0].form.kind, "Fyll i svaret för minst en analys.")
        return None
    assert order.performing_lab is not None  # the service refuses an order without one
    return LaboratoryResult(
        order_id=order.order_id,
        performing_lab=order.performing_lab,
        version=version,
        report_status=manual_results.report_status_for(order.status, final),
        report_time=report_time,
        analysis_results=tuple(results),
        laboratory_id=lab_id,
        signed_by=signed_by,
        comment=(main.comment.data or "").strip() or None,
        specimen_identifiers=tuple(s.identifier for s in order.specimens),
    )


# ---------------------------------------------------------------- the service's refusals on the form

_AT = re.compile(r"analysisResult (\d+)(?: (value|coded value|interval low|interval high|interval"
                 r"|reference interval low|reference interval high|reference interval|code))?:? (.*)")
UCUM = "Enheten är inte skriven i UCUM, till exempel mmol/L, g/L, 10*9/L eller %."
RULES = {
    SubCode.VERSION_CONFLICT: "Under tiden har någon annan sparat en ny version av svaret (den visas ovan). Det du "
                              "skrev finns kvar: jämför med den nya versionen och spara igen.",
    SubCode.TRANSITION_REFUSED: "Beställningen kan inte få det svaret i den status den har nu.",
}


def place_error(error: DomainError, main: ResultForm, items: list[Entry], reported: list[Entry]) -> str | None:
    """Put the service's refusal on the field it concerns; return it as a message for the
    whole form when it concerns no single field. ``reported`` are the entries in the order
    their analyses were sent."""
    m = _AT.fullmatch(error.message) if isinstance(error, InvalidRequest) else None
    if m and 1 <= int(m.group(1)) <= len(reported):
        f = reported[int(m.group(1)) - 1].form
        part, problem = m.group(2) or "", m.group(3)
        unit_problem = "UCUM" in problem
        target = {
            "value": f.unit if unit_problem else f.value,
            "interval low": f.limit_unit if unit_problem else f.limit_value,
            "interval high": f.limit_unit if unit_problem else f.limit_value,
            "reference interval low": f.ref_unit if unit_problem else f.ref_low,
            "reference interval high": f.ref_unit if unit_problem else f.ref_high,
            "reference interval": f.ref_high,
        }.get(part, f.kind)
        if unit_problem:
            text = UCUM
        elif "not a decimal number" in problem:
            text = NOT_A_NUMBER
        elif "high below low" in problem:
            text = "Det högsta värdet är lägre än det lägsta."
        else:
            text = swedish(error)
        target.errors = [*target.errors, text]
        return None
    if isinstance(error, InvalidRequest) and error.message == "reportTime lies in the future":
        main.report_time.errors = ["Svarstiden ligger i framtiden."]
        return None
    if isinstance(error, RuleViolation) and error.sub_code in RULES and not error.message.startswith("an order in"):
        return RULES[error.sub_code]
    return swedish(error)


def invalid(main: ResultForm, items: list[Entry]) -> list[tuple[str, str]]:
    """(the id of the field to go to, what is wrong there) for every field with an error."""

    def target(f: Field) -> str:
        return f"{f.id}-0" if f.type == "RadioField" else str(f.id)

    out = [(target(f), f"{f.label.text}: {' '.join(f.errors)}") for f in main if f.errors and f.type != "CSRFTokenField"]
    for e in items:
        out += [(target(f), f"{e.analysis.display_name}, {f.label.text.lower()}: {' '.join(f.errors)}")
                for f in e.form if f.errors]
    return out


# ---------------------------------------------------------------- where a version went


def whereabouts(stored: StoredResult, order: Order, case_open: bool) -> tuple[str, str]:
    """(kind, Swedish text): released to the patient, or held for follow-up or review."""
    if stored.released:
        return "released", "Släppt till patienten"
    if stored.follow_up_case_id is not None and case_open:
        if order.result_release is ResultRelease.AFTER_REVIEW:
            return "followup", "Väntar på smittskyddsuppföljning och därefter granskning"
        return "followup", "Väntar på smittskyddsuppföljning"
    if order.result_release is ResultRelease.AFTER_REVIEW:
        return "review", "Väntar på granskning"
    return "held", "Inte släppt till patienten"


WENT = {
    "released": "Svaret är släppt till patienten och syns i 1177.",
    "followup": "Svaret har gått till kön Uppföljning (smittskydd): det släpps till patienten när ärendet "
                "har avslutats.",
    "review": "Svaret har gått till kön Granskning: det släpps till patienten när det har granskats.",
    "held": "Svaret är inte släppt till patienten.",
}
