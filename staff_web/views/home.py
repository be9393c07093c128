"""The start page: who is logged in, at which care unit, and what they may do there."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from ..forms import UnitForm, options

bp = Blueprint("home", __name__)


@bp.get("/")
def start() -> str | Response:
    if g.member is None:
        return redirect(url_for("login.login_page"))
    form = UnitForm()
    form.unit.choices = options((u, u) for u in g.member.care_units)
    if g.unit:
        form.unit.data = g.unit
    return render_template("start.html", form=form)


@bp.post("/unit")
def choose_unit() -> Response:
    if g.member is None:
        return redirect(url_for("login.login_page"))
    form = UnitForm()
    form.unit.choices = options((u, u) for u in g.member.care_units)
    if not form.validate_on_submit():
        abort(400)
    session["unit"] = form.unit.data
    session.pop("patient", None)  # a patient found at one unit is not carried to the next
    session.pop("desk", None)
    return redirect(url_for("home.start"))
