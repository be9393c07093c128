"""Results typed in by hand (RESULTS): the care unit's worklist of orders whose lab is not
connected, the entry form per analysis (preliminary, final, or a correction as a new
version), and the withdrawal of a version sent in error. Every save goes through
``services.set_result``, as the lab's SetResult does."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from service_domain import commands, manual_results, services
from service_domain.clock import SWEDISH_TZ
from service_domain.errors import CallerRefused, DomainError, SubCode
from service_domain.model import OrderStatus
from service_domain.staff import StaffFunction

from .. import result_entry, texts
from ..auth import requires
from ..forms import ReferralSearchForm, ResultForm, WithdrawForm
from ..messages import swedish
from ..web import ctx, me, now, read, uow

bp = Blueprint("results", __name__)
results_work = requires(StaffFunction.RESULTS)
_REFERRAL = re.compile(r"[A-Za-z0-9]{4,16}")
S = OrderStatus

# the worklist, in the order staff work through it
GROUPS = (
    ("Prov tagna – väntar på svar", (S.SPECIMEN_COLLECTED, S.RECEIVED_BY_LAB)),
    ("Preliminärt svar – väntar på slutligt svar", (S.PRELIMINARY_RESULT,)),
    ("Beställda, inget prov registrerat", (S.ORDERED, S.KIT_SENT)),
    (f"Slutligt svar de senaste {services.RECENT_FINAL.days} dagarna – kan rättas eller återkallas", (S.FINAL_RESULT,)),
)
assert {s for _, group in GROUPS for s in group} == set(manual_results.RESULT_STATUSES)


def _worklist_page(search: ReferralSearchForm | None = None, status: int = 200) -> tuple[str, int]:
    worklist = read(services.result_worklist, uow(), ctx())
    groups = [(title, [e for e in worklist.entries if e.order.status in statuses]) for title, statuses in GROUPS]
    return render_template("results_worklist.html", groups=groups, more=worklist.more,
                           limit=services.RESULT_WORKLIST_LIMIT, search=search or ReferralSearchForm()), status


@bp.get("/results")
@results_work
def worklist() -> Any:
    return _worklist_page()


@bp.post("/results")
@results_work
def search() -> Any:
    form = ReferralSearchForm()
    if form.validate_on_submit():
        code = form.referral.data.strip().upper()
        if not _REFERRAL.fullmatch(code):
            form.referral.errors = ["En remisskod är 4–16 bokstäver och siffror."]
        else:
            found = read(services.result_worklist, uow(), ctx(), code)
            if found.entries:
                return redirect(url_for("results.order", order_id=found.entries[0].order.order_id))
            form.referral.errors = [
                "Ingen beställning med den remisskoden väntar på svar från ett laboratorium som inte är anslutet, "
                "på din vårdenhet."]
    return _worklist_page(form, 400)


def _view(order_id: str) -> services.ResultOrderView:
    return read(services.result_order, uow(), ctx(), order_id)


def _newest_version(view: services.ResultOrderView) -> int:
    return view.newest.result.version if view.newest else 0


def _page(
    view: services.ResultOrderView,
    main: ResultForm | None = None,
    items: list[result_entry.Entry] | None = None,
    withdraw: WithdrawForm | None = None,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    order = view.order
    may_report = order.status in manual_results.RESULT_STATUSES
    if main is None:
        main = ResultForm()
        main.report_time.data = now().astimezone(SWEDISH_TZ).replace(second=0, microsecond=0, tzinfo=None)
    main.based_on.data = str(_newest_version(view))
    if items is None:
        items = result_entry.entries(order)
        result_entry.prefill(items, view.newest)
    opened = None if status == 200 else "withdraw" if withdraw is not None else "entry"
    if withdraw is None:
        withdraw = WithdrawForm()
    if view.newest is not None:
        withdraw.version.data = str(view.newest.result.version)
    saved = request.args.get("sparad", type=int)
    went = None
    if saved is not None and view.newest is not None and view.newest.result.version == saved and problem is None:
        kind, _ = result_entry.whereabouts(view.newest, order, view.case_open)
        went = (kind, result_entry.WENT[kind])
    return render_template(
        "results_order.html", view=view, order=order, main=main, items=items, withdraw=withdraw,
        may_report=may_report, correction=order.status is S.FINAL_RESULT, next_version=_newest_version(view) + 1,
        problem=problem, saved=saved if went else None, went=went, whereabouts=result_entry.whereabouts,
        opened=opened, invalid=result_entry.invalid(main, items) if opened == "entry" else [],
        may_follow_up=g.member.may(g.unit, StaffFunction.FOLLOW_UP),
    ), status


@bp.get("/results/<order_id>")
@results_work
def order(order_id: str) -> Any:
    return _page(_view(order_id))


@bp.post("/results/<order_id>")
@results_work
def save(order_id: str) -> Any:
    view = _view(order_id)
    main = ResultForm()
    items = result_entry.entries(view.order, request.form)
    valid = main.validate_on_submit()
    valid = all([e.form.validate() for e in items]) and valid
    if view.order.status not in manual_results.RESULT_STATUSES:
        status = texts.ORDER_STATUS[view.order.status]
        return _page(view, main, items, problem=f"Beställningen har status ”{status}”: inget svar kan registreras.",
                     status=409)
    newest = _newest_version(view)
    if main.based_on.data != str(newest):
        # another version was stored since the form was shown: nothing is saved, the typing is kept
        return _page(view, main, items, problem=result_entry.RULES[SubCode.VERSION_CONFLICT], status=409)
    if not valid:
        return _page(view, main, items, status=400)
    report_time = main.report_time.data.replace(tzinfo=SWEDISH_TZ)
    result = result_entry.build(view.order, main, items, newest + 1, report_time, me())
    if result is None:
        return _page(view, main, items, status=400)
    try:
        services.set_result(uow(), ctx(), commands.SetResult(result))
    except CallerRefused:
        abort(403)
    except DomainError as e:
        sent = {a.code.key for a in result.analysis_results}
        reported = [i for i in items if i.analysis.code.key in sent]
        problem = result_entry.place_error(e, main, items, reported)
        return _page(_view(order_id), main, items, problem=problem, status=400)
    return redirect(url_for("results.order", order_id=order_id, sparad=result.version))


@bp.post("/results/<order_id>/withdraw")
@results_work
def withdraw(order_id: str) -> Response | tuple[str, int]:
    view = _view(order_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _page(view, withdraw=form, status=400)
    newest = view.newest
    if newest is None or form.version.data != str(newest.result.version):
        return _page(view, withdraw=form, problem="Under tiden har en ny version av svaret sparats. Kontrollera den "
                                                   "innan du återkallar något.", status=409)
    try:
        result = manual_results.withdrawal(view.order, newest, now(), me(), form.comment.data)
        services.set_result(uow(), ctx(), commands.SetResult(result))
    except CallerRefused:
        abort(403)
    except DomainError as e:
        return _page(_view(order_id), withdraw=form, problem=swedish(e), status=400)
    return redirect(url_for("results.order", order_id=order_id, sparad=result.version))
