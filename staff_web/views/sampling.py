"""The sampling desk: find the order (personnummer or referral code, typed or scanned),
register the specimen collected (its barcode from a hand scanner), print its label."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for

from service_domain import commands, services
from service_domain.clock import local_date
from service_domain.model import Order, OrderStatus, SamplingMode, Specimen
from service_domain.staff import StaffFunction
from service_domain.status import is_allowed

from .. import labels, people
from ..auth import requires
from ..forms import DeskSearchForm, SpecimenForm
from ..web import ctx, me, now, read, uow, write

bp = Blueprint("sampling", __name__)
_REFERRAL = re.compile(r"[A-Za-z0-9]{4,16}")
_BARCODE = re.compile(r"[\x21-\x7e]{1,64}")


def _sampling() -> Any:
    return requires(StaffFunction.SAMPLING)


def collectable(order: Order) -> bool:
    return is_allowed(order.status, OrderStatus.SPECIMEN_COLLECTED, order.sampling_mode)


def _where() -> Callable[[Order], str]:
    """Where an order is to be sampled, in words: the chosen site's name from the care giver's
    register (its HSA-id when the register does not know it), any site, a home kit, or a home kit
    to be collected at a site (its pickup point)."""
    names = {s.hsa_id.upper(): s.name for s in services.list_sampling_sites(uow(), g.member.care_giver)}

    def where(order: Order) -> str:
        if order.pickup_point:  # a home kit sent to a sampling site, collected there
            return "Hemkit att hämta på " + names.get(order.pickup_point.upper(), order.pickup_point)
        if order.sampling_unit:
            return names.get(order.sampling_unit.upper(), order.sampling_unit)
        if order.sampling_mode is SamplingMode.SITE:
            return "Valfri mottagning"
        return "Hemkit, ingen mottagning"

    return where


def _find(query: dict[str, str]) -> list[Order]:
    if "patient" in query:
        patient = people.parse(query["patient"], local_date(now()))
        cmd = commands.GetOrders(patient=patient, max_results=100)
    else:
        cmd = commands.GetOrders(referral_ids=(query["referral"],), max_results=100)
    page = read(services.get_orders, uow(), ctx(), cmd)
    return sorted(page.orders, key=lambda o: o.created_time, reverse=True)


def _order(order_id: str) -> Order:
    page = read(services.get_orders, uow(), ctx(), commands.GetOrders(order_ids=(order_id,)))
    if not page.orders:
        abort(404)
    return page.orders[0]


@bp.get("/sampling")
@_sampling()
def desk() -> Any:
    query = session.get("desk")
    orders = _find(query) if query else None
    return render_template("sampling.html", form=DeskSearchForm(), orders=orders, query=query, collectable=collectable,
                           where=_where())


@bp.post("/sampling")
@_sampling()
def search() -> Any:
    form = DeskSearchForm()
    if form.validate_on_submit():
        text = form.query.data.strip()
        if re.fullmatch(r"[0-9 +-]{10,15}", text):
            try:
                session["desk"] = {"patient": people.parse(text, local_date(now())).id}
                return redirect(url_for("sampling.desk"))
            except people.NotAnIdentityNumber as e:
                form.query.errors = [str(e)]
        elif _REFERRAL.fullmatch(text):
            session["desk"] = {"referral": text.upper()}
            return redirect(url_for("sampling.desk"))
        else:
            form.query.errors = ["Skriv ett personnummer (ÅÅÅÅMMDD-NNNN) eller en remisskod (bokstäver och siffror)."]
    return render_template("sampling.html", form=form, orders=None, query=None, collectable=collectable), 400


@bp.get("/sampling/order/<order_id>")
@_sampling()
def order(order_id: str) -> Any:
    found = _order(order_id)
    return render_template("sampling_order.html", order=found, form=SpecimenForm(), collectable=collectable(found),
                           where=_where())


@bp.post("/sampling/order/<order_id>")
@_sampling()
def register(order_id: str) -> Any:
    form = SpecimenForm()
    found = _order(order_id)
    if form.validate_on_submit():
        barcode = form.barcode.data.strip()
        if not _BARCODE.fullmatch(barcode):
            form.barcode.errors = ["Streckkoden får bara innehålla bokstäver, siffror och tecken utan mellanslag."]
        else:
            moment = now()
            outcome = write(
                services.set_order_status, uow(), ctx(),
                commands.SetOrderStatus(
                    order_id, OrderStatus.SPECIMEN_COLLECTED, moment, me(), g.unit,
                    specimens=(Specimen(barcode, None, moment),),
                ),
            )
            if outcome is not None:
                flash("Provet är registrerat. Skriv ut etiketten och sätt den på provröret.", "success")
                return redirect(url_for("sampling.label", order_id=order_id))
            return redirect(url_for("sampling.order", order_id=order_id))
    return render_template("sampling_order.html", order=found, form=form, collectable=collectable(found),
                           where=_where()), 400


@bp.get("/sampling/order/<order_id>/label")
@_sampling()
def label(order_id: str) -> Any:
    found = _order(order_id)
    if not found.specimens:
        flash("Beställningen har inget registrerat prov ännu.", "error")
        return redirect(url_for("sampling.order", order_id=order_id))
    items: list[tuple[Specimen, str | None]] = []
    for specimen in found.specimens:
        try:
            items.append((specimen, labels.data_uri(labels.code128_svg(specimen.identifier))))
        except labels.TooLongForLabel:
            items.append((specimen, None))
    return render_template("label.html", order=found, items=items, size=(labels.LABEL_WIDTH_MM, labels.LABEL_HEIGHT_MM))
