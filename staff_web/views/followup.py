"""Follow-up of positive notifiable results (each step recorded; closing releases the
result to the patient), and the results held for review (AFTER_REVIEW)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from service_domain import services
from service_domain.clock import SWEDISH_TZ
from service_domain.identity import rikskod
from service_domain.model import FollowUpStepKind
from service_domain.staff import StaffFunction

from .. import texts
from ..auth import requires
from ..forms import ButtonForm, CloseCaseForm, StepForm
from ..web import ctx, me, now, read, uow, write

bp = Blueprint("followup", __name__)
follow_up = requires(StaffFunction.FOLLOW_UP)


@bp.get("/followup")
@follow_up
def queue() -> str:
    entries = read(services.follow_up_queue, uow(), ctx())
    return render_template("followup_queue.html", entries=entries, Step=FollowUpStepKind)


def _step_form(kind: FollowUpStepKind | None = None) -> StepForm:
    form = StepForm()
    if not form.is_submitted():
        form.time.data = now().astimezone(SWEDISH_TZ).replace(second=0, microsecond=0, tzinfo=None)
        if kind is not None:
            form.kind.data = kind.value
    return form


def _next_step(done: set[FollowUpStepKind]) -> FollowUpStepKind:
    return next((k for k in FollowUpStepKind if k not in done), FollowUpStepKind.PATIENT_CONTACTED)


def _case_page(case_id: str, form: StepForm | None = None, status: int = 200) -> tuple[str, int]:
    view = read(services.follow_up_case, uow(), ctx(), case_id)
    done = {s.kind for s in view.case.steps}
    return render_template(
        "followup_case.html",
        view=view,
        rikskod=rikskod(view.order.patient.id),
        form=form or _step_form(_next_step(done)),
        close=CloseCaseForm(),
        done=done,
        Step=FollowUpStepKind,
    ), status


@bp.get("/followup/<case_id>")
@follow_up
def case(case_id: str) -> Any:
    return _case_page(case_id)


@bp.post("/followup/<case_id>/step")
@follow_up
def step(case_id: str) -> Any:
    form = _step_form()
    if not form.validate_on_submit():
        return _case_page(case_id, form, 400)
    when = form.time.data.replace(tzinfo=SWEDISH_TZ)
    recorded = write(
        services.record_follow_up_step, uow(), ctx(), case_id,
        FollowUpStepKind(form.kind.data), when, g.member.hsa_id, form.note.data or None,
    )
    if recorded is not None:
        flash(f"Registrerat: {texts.STEP[FollowUpStepKind(form.kind.data)]}.", "success")
    return redirect(url_for("followup.case", case_id=case_id))


@bp.post("/followup/<case_id>/close")
@follow_up
def close(case_id: str) -> Response:
    form = CloseCaseForm()
    if not form.validate_on_submit():
        abort(400)
    released = write(services.close_follow_up, uow(), ctx(), case_id, me(), form.note.data or None)
    if released is None:
        return redirect(url_for("followup.case", case_id=case_id))
    flash("Ärendet är avslutat. " + ("Svaret är släppt till patienten." if released else
                                       "Svaret släpps när det har granskats."), "success")
    return redirect(url_for("followup.queue"))


@bp.get("/review")
@follow_up
def review_queue() -> str:
    orders = read(services.review_queue, uow(), ctx())
    return render_template("review_queue.html", orders=orders)


@bp.get("/review/<order_id>")
@follow_up
def review(order_id: str) -> str:
    view = read(services.review_order, uow(), ctx(), order_id)
    return render_template("review_order.html", view=view, button=ButtonForm())


@bp.post("/review/<order_id>/release")
@follow_up
def release(order_id: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    released = write(services.release_results, uow(), ctx(), order_id, me())
    if released is None:
        return redirect(url_for("followup.review", order_id=order_id))
    flash("Svaret är släppt till patienten.", "success")
    return redirect(url_for("followup.review_queue"))
