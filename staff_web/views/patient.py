"""The patient page: search within the staff member's care giver; offers, orders, statuses,
results with every version, the order history; assign and revoke offers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from service_domain import commands, services
from service_domain.clock import local_date
from service_domain.identity import PersonId, national_type_of
from service_domain.model import OfferStatus
from service_domain.staff import PATIENT_WORK, StaffFunction

from .. import people
from ..auth import requires
from ..forms import AssignForm, ButtonForm, PatientSearchForm, options
from ..web import ctx, me, now, read, uow, write

bp = Blueprint("patient", __name__)


def current_patient() -> PersonId | None:
    number = session.get("patient")
    if not number:
        return None
    return PersonId(number, national_type_of(number))


def _assign_form() -> AssignForm:
    form = AssignForm()
    catalogue = read(
        services.get_offer_catalog, uow(), ctx(),
        commands.GetOfferCatalog(care_giver=g.member.care_giver),
    )
    form.offer_code.choices = options((d.offer_code, d.display_name) for d in catalogue)
    return form


@bp.get("/patient")
@requires(*PATIENT_WORK)
def page() -> Any:
    search = PatientSearchForm()
    patient = current_patient()
    view = read(services.patient_view, uow(), ctx(), patient) if patient else None
    assign = _assign_form() if view is not None and g.member.may(g.unit, StaffFunction.ASSIGN) else None
    return render_template(
        "patient.html", search=search, view=view, assign=assign, button=ButtonForm(),
        kind=people.kind(patient) if patient else None, OfferStatus=OfferStatus,
    )


@bp.post("/patient")
@requires(*PATIENT_WORK)
def search() -> Any:
    form = PatientSearchForm()
    if form.validate_on_submit():
        try:
            patient = people.parse(form.number.data, local_date(now()))
        except people.NotAnIdentityNumber as e:
            form.number.errors = [str(e)]
        else:
            session["patient"] = patient.id
            return redirect(url_for("patient.page"))
    return render_template("patient.html", search=form, view=None, assign=None, button=ButtonForm(), kind=None), 400


@bp.post("/patient/forget")
@requires(*PATIENT_WORK)
def forget() -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    session.pop("patient", None)
    return redirect(url_for("patient.page"))


@bp.post("/patient/assign")
@requires(StaffFunction.ASSIGN)
def assign() -> Response:
    patient = current_patient()
    if patient is None:
        return redirect(url_for("patient.page"))
    form = _assign_form()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("patient.page"))
    valid_to = now() + timedelta(days=form.valid_days.data) if form.valid_days.data else None
    outcome = write(
        services.assign_offer, uow(), ctx(),
        commands.AssignOffer(
            patient, form.offer_code.data, g.member.care_giver, g.unit, me(),
            valid_to=valid_to, max_orders=form.max_orders.data or None, comment=form.comment.data or None,
        ),
    )
    if outcome is not None:
        name = next((c.label for c in form.offer_code.choices or [] if c.value == form.offer_code.data), form.offer_code.data)
        flash(f"Erbjudandet ”{name}” är tilldelat.", "success")
    return redirect(url_for("patient.page"))


@bp.post("/patient/offers/<offer_id>/revoke")
@requires(StaffFunction.ASSIGN)
def revoke(offer_id: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    outcome = write(services.revoke_offer, uow(), ctx(), commands.RevokeOffer(offer_id, me()))
    if outcome is not None:
        flash("Erbjudandet är återkallat.", "success")
    return redirect(url_for("patient.page"))
