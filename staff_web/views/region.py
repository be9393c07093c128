"""The region's administration (REGION_ADMIN): the care givers under the region by agreement,
the region's contact and catalogue, and its statistics (counts only, small cells suppressed)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from service_domain import services
from service_domain.clock import local_date
from service_domain.identity import is_hsa_id
from service_domain.model.statistics import MIN_PEOPLE
from service_domain.services.regions import CODE, EMAIL, PHONE, month
from service_domain.staff import StaffFunction

from ..auth import requires
from ..forms import AgreementForm, EndAgreementForm, RegionForm
from ..web import ctx, now, read, uow, write

bp = Blueprint("region", __name__, url_prefix="/region")
region_admin = requires(StaffFunction.REGION_ADMIN)
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def _page(form: AgreementForm | None = None, status: int = 200, region_form: RegionForm | None = None) -> tuple[str, int]:
    view = read(services.region_view, uow(), ctx())
    today = local_date(now())
    if region_form is None:
        r = view.region
        region_form = RegionForm(data={"phone": r.phone or "", "email": r.email or "",
                                       "offer_codes": ", ".join(sorted(r.offer_codes)),
                                       "analyses": ", ".join(sorted(r.analyses))})
    return render_template("region.html", view=view, today=today, form=form or AgreementForm(),
                           end_form=EndAgreementForm(), region_form=region_form), status


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in re.split(r"[,\s]+", text or "") if c.strip())


@bp.post("/uppgifter")
@region_admin
def save_region() -> Any:
    """The region's support contact and catalogue (its name stays as the operator registered it)."""
    form = RegionForm()
    if not form.validate_on_submit():
        return _page(status=400, region_form=form)
    phone, email = (form.phone.data or "").strip() or None, (form.email.data or "").strip() or None
    if phone is not None and not PHONE.fullmatch(phone):
        form.phone.errors = ["Skriv telefonnumret med siffror, till exempel 08-123 456 00."]
    if email is not None and not EMAIL.fullmatch(email):
        form.email.errors = ["Skriv en e-postadress, till exempel support@region.example."]
    codes, analyses = _codes(form.offer_codes.data), _codes(form.analyses.data)
    for field, values in ((form.offer_codes, codes), (form.analyses, analyses)):
        bad = sorted(c for c in values if not CODE.fullmatch(c))
        if bad:
            field.errors = [f"Bara bokstäver A–Z, siffror och tecknen _ . - i en kod: {', '.join(bad)}."]
    if form.phone.errors or form.email.errors or form.offer_codes.errors or form.analyses.errors:
        return _page(status=400, region_form=form)
    current = read(services.region_view, uow(), ctx()).region
    saved = write(services.put_region, uow(), ctx(),
                  replace(current, phone=phone, email=email, offer_codes=codes, analyses=analyses))
    if saved is None:
        return _page(status=409, region_form=form)
    flash("Regionens uppgifter är sparade.", "success")
    return redirect(url_for("region.page"))


@bp.get("")
@region_admin
def page() -> Any:
    return _page()


@bp.post("/avtal")
@region_admin
def add_agreement() -> Any:
    form = AgreementForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    care_giver = form.care_giver.data.strip()
    if not is_hsa_id(care_giver):
        form.care_giver.errors = ["Ange vårdgivarens HSA-id, till exempel SE5560000001-CG01."]
        return _page(form, 400)
    if form.valid_to.data is not None and form.valid_to.data < form.valid_from.data:
        form.valid_to.errors = ["Sista dagen kan inte ligga före första dagen."]
        return _page(form, 400)
    added = write(services.add_agreement, uow(), ctx(), None, care_giver, form.valid_from.data, form.valid_to.data,
                  own=bool(form.own.data))
    if added is None:
        return _page(form, 409)
    flash(f"Avtalet med {added.care_giver} är registrerat.", "success")
    return redirect(url_for("region.page"))


@bp.post("/avtal/<agreement_id>/avsluta")
@region_admin
def end_agreement(agreement_id: str) -> Response:
    form = EndAgreementForm()
    if not form.validate_on_submit():
        flash("Ange avtalets sista dag.", "error")
        return redirect(url_for("region.page"))
    ended = write(services.end_agreement, uow(), ctx(), agreement_id, form.last_day.data)
    if ended is not None:
        flash(f"Avtalet med {ended.care_giver} gäller till och med {ended.valid_to}.", "success")
    return redirect(url_for("region.page"))


def _month(value: str) -> date:
    """The first day of a month given as YYYY-MM (ValueError otherwise)."""
    if not _MONTH.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value + "-01")


def _period(args: dict[str, str], today: date) -> tuple[date, date, dict[str, str]]:
    """The period asked for (a month, or from one month to another: whole months only, so
    that two periods cannot be set against each other to single out a few days), or this month;
    with Swedish messages for what could not be read (the page then shows this month)."""
    errors: dict[str, str] = {}
    if args.get("fran") or args.get("till"):
        try:
            first, last = _month(args.get("fran", "")), month(_month(args.get("till", "")))[1]
        except ValueError:
            errors["period"] = "Ange både första och sista månad som år och månad, till exempel 2026-11."
        else:
            if last < first:
                errors["period"] = "Sista månaden kan inte ligga före första månaden."
            else:
                return first, last, errors
    elif args.get("manad"):
        try:
            return (*month(_month(args["manad"])), errors)
        except ValueError:
            errors["manad"] = "Ange månaden som år och månad, till exempel 2026-11."
    return (*month(today), errors)


@bp.get("/statistik")
@region_admin
def statistics() -> Any:
    today = local_date(now())
    args = {k: v.strip() for k, v in request.args.items()}
    first, last, errors = _period(args, today)
    view = read(services.region_view, uow(), ctx())
    stats = read(services.region_statistics, uow(), ctx(), first, last)
    return render_template("region_statistics.html", view=view, stats=stats, first=first, last=last,
                           args=args, errors=errors, min_people=MIN_PEOPLE,
                           month_value=args.get("manad") or first.strftime("%Y-%m")), 400 if errors else 200

