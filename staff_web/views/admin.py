"""Administration (ADMIN): the care giver's staff and their functions, and its offer
catalogue (add, change, retire, import and export the document ``eph catalog`` reads)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import yaml
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import FieldList, FormField

from service_domain import catalogue, services
from service_domain.errors import DomainError, InvalidRequest
from service_domain.identity import is_hsa_id
from service_domain.model import OfferDefinition
from service_domain.staff import StaffFunction, StaffMember

from .. import auth, catalogue_form, texts
from ..auth import requires
from ..forms import (
    ButtonForm,
    DefinitionForm,
    FunctionsForm,
    ImportForm,
    PasswordForm,
    PersonIdForm,
    StaffForm,
)
from ..web import ctx, env, read, refuse_page, uow, write

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin = requires(StaffFunction.ADMIN)


# ---------------------------------------------------------------- staff


def _staff() -> list[StaffMember]:
    return read(services.list_staff, uow(), ctx())


def _admin_units() -> list[str]:
    return [u for u in g.member.care_units if g.member.may(u, StaffFunction.ADMIN)]


@bp.get("/staff")
@admin
def staff() -> str:
    return render_template("admin_staff.html", staff=_staff(), form=StaffForm(), admin_units=_admin_units())


@bp.post("/staff")
@admin
def register() -> Any:
    form = StaffForm()
    if form.validate_on_submit():
        hsa_id = form.hsa_id.data.strip()
        if not is_hsa_id(hsa_id):
            form.hsa_id.errors = ["Ange ett giltigt HSA-id, till exempel SE2321000016-ABC1."]
        else:
            member = write(services.register_staff, uow(), ctx(), hsa_id, form.name.data)
            if member is not None:
                if form.functions.data:
                    write(services.grant_functions, uow(), ctx(), member.hsa_id, g.unit, form.functions.data)
                if form.password.data and env().config.dev_login:
                    write(services.set_dev_password, uow(), ctx(), member.hsa_id,
                          auth.hash_password(form.password.data))
                flash(f"{member.name} är registrerad.", "success")
                return redirect(url_for("admin.staff"))
    return render_template("admin_staff.html", staff=_staff(), form=form, admin_units=_admin_units()), 400


def _member(hsa_id: str) -> StaffMember:
    found = next((m for m in _staff() if m.hsa_id.upper() == hsa_id.upper()), None)
    if found is None:
        abort(404)
    return found


def _member_page(member: StaffMember, status: int = 200, person: PersonIdForm | None = None) -> tuple[str, int]:
    forms = []
    for unit in _admin_units():
        form = FunctionsForm(prefix=unit)
        form.unit.data = unit
        form.functions.data = sorted(member.functions_at(unit))
        forms.append((unit, form))
    return render_template("admin_member.html", target=member, forms=forms, password=PasswordForm(),
                           person=person or PersonIdForm(formdata=None)), status


@bp.get("/staff/<hsa_id>")
@admin
def member(hsa_id: str) -> Any:
    return _member_page(_member(hsa_id))


@bp.post("/staff/<hsa_id>/functions")
@admin
def functions(hsa_id: str) -> Response:
    target = _member(hsa_id)
    unit = request.form.get("unit", "")
    form = FunctionsForm(prefix=unit)
    if unit not in _admin_units() or not form.validate_on_submit():
        abort(400)
    wanted = {StaffFunction(f) for f in form.functions.data or []}
    held = set(target.functions_at(unit))
    done = True
    if wanted - held:
        done = write(services.grant_functions, uow(), ctx(), target.hsa_id, unit, wanted - held) is not None
    if done and held - wanted:
        done = write(services.revoke_functions, uow(), ctx(), target.hsa_id, unit, held - wanted) is not None
    if done:
        flash("Behörigheterna är sparade.", "success")
    return redirect(url_for("admin.member", hsa_id=target.hsa_id))


@bp.post("/staff/<hsa_id>/person-id")
@admin
def person_id(hsa_id: str) -> Any:
    """Register or remove the member's personal identity number; it is never shown back."""
    target = _member(hsa_id)
    form = PersonIdForm()
    if not form.validate_on_submit():
        return _member_page(target, 400, form)
    number = None if form.remove.data else (form.number.data or "").replace("-", "").replace("+", "").strip()
    if not form.remove.data and not number:
        form.number.errors = ["Skriv personnumret, eller ta bort det som är registrerat."]
        return _member_page(target, 400, form)
    try:
        services.set_staff_person_id(uow(), ctx(), target.hsa_id, number)
    except InvalidRequest:
        form.number.errors = ["Det är inte ett giltigt personnummer. Skriv det som ÅÅÅÅMMDD-NNNN."]
        return _member_page(target, 400, form)
    except DomainError as e:
        refuse_page(e)
    flash("Personnumret är borttaget." if number is None else "Personnumret är sparat.", "success")
    return redirect(url_for("admin.member", hsa_id=target.hsa_id))


@bp.post("/staff/<hsa_id>/password")
@admin
def password(hsa_id: str) -> Any:
    if not env().config.dev_login:
        abort(404)
    target = _member(hsa_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("admin.member", hsa_id=target.hsa_id))
    if write(services.set_dev_password, uow(), ctx(), target.hsa_id,
             auth.hash_password(form.password.data)) is not None:
        flash("Lösenordet är sparat.", "success")
    return redirect(url_for("admin.member", hsa_id=target.hsa_id))


# ---------------------------------------------------------------- catalogue

_PROBLEM = re.compile(r"entry (\d+)(?: \(offerCode ([^)]*)\))?: (?:field '([^']+)': )?(.*)")


def swedish_problem(message: str) -> str:
    """A problem of the catalogue's reading in Swedish; the editor and the file import show the same."""
    rules = (
        (r"is required for a self-service entry", lambda m: "Ett erbjudande för egen beställning behöver en ansvarig vårdenhet."),
        (r"code \(or originalText", lambda m: "Ange en kod (eller en fritext för ett okodat begrepp)."),
        (r"is required|must be a non-empty string", lambda m: "Fyll i fältet."),
        (r"is longer than (\d+) characters", lambda m: f"Högst {m.group(1)} tecken."),
        (r"must be an integer from (\d+) to (\d+)", lambda m: f"Ange ett heltal från {m.group(1)} till {m.group(2)}."),
        (r"must be ASCII letters", lambda m: "Bara bokstäver A–Z, siffror och tecknen _ . -"),
        (r"is not an HSA-id", lambda m: "Ange ett HSA-id (SE, tio siffror, bindestreck, lokal del)."),
        (r"wrong check digit", lambda m: "Kontrollsiffran i HSA-id:ts organisationsnummer stämmer inte."),
        (r"must be a non-empty list of SITE", lambda m: "Välj minst ett provtagningssätt."),
        (r"is not SITE or HOME_KIT", lambda m: "Välj provtagningssätt bland alternativen."),
        (r"must be one of", lambda m: "Välj ett av alternativen."),
        (r"must be a non-empty list", lambda m: "Ange minst en analys."),
        (r"must be a list of coded values", lambda m: "Ange de positiva fynden som en lista med koder."),
        (r"must be a mapping with code and codeSystem", lambda m: "Ange koden med kod och kodsystem."),
        (r"must be true or false", lambda m: "Ange true eller false."),
        (r"codeSystem must be an OID", lambda m: "Kodsystemet ska vara en OID, till exempel 1.2.752.108.1."),
        (r"is below minAge", lambda m: "Högsta ålder är lägre än lägsta ålder."),
        (r"is also used by entry", lambda m: "Koden finns redan i samma fil."),
        (r"is not a field of OfferDefinitionType", lambda m: "Okänt fält."),
    )
    for pattern, text in rules:
        m = re.search(pattern, message)
        if m:
            return text(m)
    return message


def _definitions() -> list[OfferDefinition]:
    return read(services.export_catalogue, uow(), ctx())


@bp.get("/catalogue")
@admin
def catalogue_page() -> str:
    return render_template("admin_catalogue.html", definitions=_definitions(), button=ButtonForm(), upload=ImportForm())


def _spare_rows(form: DefinitionForm) -> None:
    """One empty analysis at the end, and one empty positive value under each analysis."""
    if not form.analyses.entries or not catalogue_form.blank(form.analyses.entries[-1].data):
        form.analyses.append_entry()
    for analysis in form.analyses.entries:
        positives = analysis.form.positives
        if not positives.entries or not catalogue_form.blank(positives.entries[-1].data):
            positives.append_entry()


def _definition_page(form: DefinitionForm, existing: OfferDefinition | None, status: int = 200,
                     problems: list[str] | None = None) -> tuple[str, int]:
    _spare_rows(form)
    return render_template("admin_definition.html", form=form, existing=existing, problems=problems or []), status


def _existing(offer_code: str) -> OfferDefinition:
    found = next((d for d in _definitions() if d.offer_code == offer_code), None)
    if found is None:
        abort(404)
    return found


@bp.route("/catalogue/new", methods=["GET", "POST"])
@admin
def new_definition() -> Any:
    if request.method == "GET":
        form = DefinitionForm(data={"validity_days": "60", "max_orders": "1", "active": True})
        return _definition_page(form, None)
    return _save_definition(DefinitionForm(), None)


@bp.route("/catalogue/<offer_code>", methods=["GET", "POST"])
@admin
def edit_definition(offer_code: str) -> Any:
    existing = _existing(offer_code)
    if request.method == "GET":
        return _definition_page(DefinitionForm(data=catalogue_form.form_data(existing)), existing)
    return _save_definition(DefinitionForm(), existing)


def _field(form: Any, path: tuple[Any, ...]) -> Any:
    """The input at a path of catalogue_form.where, or None for the top of the form."""
    target = form
    for part in path:
        target = target.entries[part] if isinstance(part, int) else target[part]
    return None if not path or isinstance(target, (FieldList, FormField)) else target


_NOT_SAVED = "Inget sparades. Rätta det som är markerat."


def _save_definition(form: DefinitionForm, existing: OfferDefinition | None) -> Any:
    if not form.validate_on_submit():
        return _definition_page(form, existing, 400, ["Formuläret gick inte att skicka. Ladda om sidan och försök igen."])
    if form.more.data:  # only more rows: nothing is saved
        return _definition_page(form, existing)
    data = dict(form.data)
    if existing:
        data["offer_code"] = existing.offer_code
    code = (data.get("offer_code") or "").strip()
    if existing is None and any(d.offer_code == code for d in _definitions()):
        form.offer_code.errors = ["Det finns redan ett erbjudande med den koden."]
        return _definition_page(form, existing, 400, [_NOT_SAVED])
    built = catalogue_form.build(data, g.member.care_giver)
    try:
        (definition,), _ = catalogue.parse_document({"offerDefinitions": [built.entry]})
    except catalogue.CatalogueError as e:
        problems = [_NOT_SAVED]
        for problem in e.problems:
            path, message = catalogue_form.where(problem, built)
            target = _field(form, path)
            if target is None:
                problems.append(("Analyser: " if path else "") + swedish_problem(message))
            else:
                target.errors = [*target.errors, swedish_problem(message)]
        return _definition_page(form, existing, 400, problems)
    if write(services.import_catalogue, uow(), ctx(), [definition]) is not None:
        flash(f"Erbjudandet ”{definition.display_name}” är sparat.", "success")
        return redirect(url_for("admin.catalogue_page"))
    return _definition_page(form, existing, 400)


@bp.post("/catalogue/<offer_code>/active")
@admin
def toggle_active(offer_code: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    existing = _existing(offer_code)
    changed = replace(existing, active=not existing.active)
    if write(services.import_catalogue, uow(), ctx(), [changed]) is not None:
        flash(f"”{existing.display_name}” är " + ("aktiverat igen." if changed.active else "avvecklat: det kan inte längre tilldelas."),
              "success")
    return redirect(url_for("admin.catalogue_page"))


@bp.post("/catalogue/import")
@admin
def import_document() -> Any:
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            document = yaml.safe_load(form.document.data.read().decode("utf-8"))  # JSON is YAML too
        except (UnicodeDecodeError, yaml.YAMLError):
            problems = ["Filen går inte att läsa som YAML eller JSON."]
        else:
            try:
                definitions, sites = catalogue.parse_document(document)
            except catalogue.CatalogueError as e:
                problems = [_swedish_line(p) for p in e.problems]
            else:
                mine = g.member.care_giver.upper()
                problems = [f"Erbjudandet {d.offer_code} hör till en annan vårdgivare ({d.care_giver})."
                            for d in definitions if d.care_giver.upper() != mine]
                problems += [f"Provtagningsstället {s.hsa_id} hör till en annan vårdgivare ({s.care_giver})."
                             for s in sites if s.care_giver.upper() != mine]
                if not problems:
                    counts = write(services.import_catalogue, uow(), ctx(), definitions,
                                   replace_all=bool(form.replace_all.data), sites=sites)
                    if counts is not None:
                        flash(f"Sortimentet är importerat: "
                              f"{texts.counted(counts[0], 'nytt erbjudande', 'nya erbjudanden')}, "
                              f"{texts.counted(counts[1], 'ändrat', 'ändrade')}, "
                              f"{texts.counted(len(sites), 'provtagningsställe', 'provtagningsställen')}.", "success")
                        return redirect(url_for("admin.catalogue_page"))
    else:
        problems = [str(m) for errors in form.errors.values() for m in errors]
    return render_template("admin_catalogue.html", definitions=_definitions(), button=ButtonForm(), upload=form,
                           problems=problems), 400


def _swedish_line(problem: str) -> str:
    m = _PROBLEM.match(problem)
    if not m:
        return swedish_problem(problem)
    where = f"Post {m.group(1)}" + (f" ({m.group(2)})" if m.group(2) else "")
    return f"{where}" + (f", fältet {m.group(3)}" if m.group(3) else "") + f": {swedish_problem(m.group(4))}"


@bp.get("/catalogue/export")
@admin
def export_document() -> Response:
    document = catalogue.to_document(_definitions())
    fmt = request.args.get("format", "yaml")
    if fmt == "json":
        body, mime, ext = json.dumps(document, indent=2, ensure_ascii=False) + "\n", "application/json", "json"
    else:
        body, mime, ext = yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "application/yaml", "yaml"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="sortiment-{g.member.care_giver}.{ext}"'})
