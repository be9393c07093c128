"""The log review (LOG_REVIEW): search the care giver's audit records, go through the accesses
the checks flag, mark flags reviewed with a note, export either as CSV.

The filters are kept in the session, not the address: a patient's personal identity number in
a URL would stay in browser histories and proxies' logs. A page's position is its continuation
token (which reveals nothing of the query)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)

from service_domain import services
from service_domain.errors import DomainError, InvalidRequest
from service_domain.model import Rule
from service_domain.model.log_review import RULE_EXPLANATION, RULE_NAME
from service_domain.operations import Operation
from service_domain.services import FlagsPage, LogFilters, LogPage
from service_domain.staff import StaffFunction

from .. import log_csv
from ..auth import requires
from ..forms import FlagReviewForm, LogSearchForm, options
from ..messages import swedish
from ..web import ctx, env, read, refuse_page, uow, write

bp = Blueprint("logreview", __name__)
reviewer = requires(StaffFunction.LOG_REVIEW)
FILTERS = "log_filters"
FIELDS = ("patient", "staff", "care_unit", "system", "interaction", "start", "end", "rule")


def _stored() -> dict[str, str]:
    kept = session.get(FILTERS)
    return dict(kept) if isinstance(kept, dict) else {}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _filters(kept: dict[str, str]) -> LogFilters:
    patient = (kept.get("patient") or "").replace("-", "").replace("+", "").strip() or None
    return LogFilters(patient, kept.get("staff") or None, kept.get("care_unit") or None, kept.get("system") or None,
                      kept.get("interaction") or None, _day(kept.get("start")), _day(kept.get("end")))


def _form(kept: dict[str, str] | None = None) -> LogSearchForm:
    form = LogSearchForm()
    form.interaction.choices = options([("", "Alla händelser"), *((o.value, o.value) for o in Operation)])
    form.rule.choices = options([("", "Alla kontroller"), *((r.value, RULE_NAME[r]) for r in Rule)])
    if kept is not None and not form.is_submitted():
        for name in FIELDS:
            value = kept.get(name)
            if value:
                getattr(form, name).data = _day(value) if name in ("start", "end") else value
    return form


def _page(tab: str, form: LogSearchForm | None = None, review: FlagReviewForm | None = None,
          failed: tuple[str, int] | None = None, status: int = 200) -> tuple[str, int]:
    """The search or flags tab, with the stored filters; a refusal of the filters is shown on
    the page with the filters as typed."""
    kept = _stored()
    form = form or _form(kept)
    token = request.args.get("sida") or None
    result: LogPage | FlagsPage | None = None
    problem = None
    if status == 200 or failed is not None:
        try:
            if tab == "search":
                result = services.search_log(uow(), ctx(), _filters(kept), token)
            else:
                result = services.log_flags(uow(), ctx(), _filters(kept), register=env().register,
                                            settings=env().config.log_review, rule=kept.get("rule") or None,
                                            continuation_token=token)
        except InvalidRequest as e:
            problem, status = swedish(e), 400
        except DomainError as e:
            refuse_page(e)
    return render_template(
        "log_review.html", tab=tab, form=form, result=result, problem=problem, token=token,
        review=review or FlagReviewForm(formdata=None), failed=failed, filtered=bool(kept),
        explanations=[(RULE_NAME[r], RULE_EXPLANATION[r]) for r in Rule],
    ), status


@bp.get("/logg")
@reviewer
def search() -> Any:
    return _page("search")


@bp.get("/logg/kontroller")
@reviewer
def flags() -> Any:
    return _page("flags")


@bp.post("/logg")
@reviewer
def set_filters() -> Any:
    tab = "flags" if request.form.get("tab") == "flags" else "search"
    form = _form()
    if not form.validate_on_submit():
        return _page(tab, form, status=400)
    kept = {}
    for name in FIELDS:
        value = getattr(form, name).data
        if value:
            kept[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
    session[FILTERS] = kept
    return redirect(url_for("logreview.flags" if tab == "flags" else "logreview.search"))


@bp.post("/logg/rensa")
@reviewer
def clear() -> Any:
    session.pop(FILTERS, None)
    tab = "logreview.flags" if request.form.get("tab") == "flags" else "logreview.search"
    return redirect(url_for(tab))


@bp.post("/logg/kontroller/granska")
@reviewer
def mark_reviewed() -> Any:
    form = FlagReviewForm()
    try:
        rule, record_id = Rule(form.rule.data), int(form.record_id.data or "")
    except ValueError:
        abort(400)
    if not form.validate_on_submit():
        return _page("flags", review=form, failed=(rule.value, record_id), status=400)
    done = write(services.review_flag, uow(), ctx(), rule, record_id, form.note.data)
    if done is not None:
        flash("Flaggan är markerad som granskad.", "success")
    return redirect(url_for("logreview.flags", sida=request.args.get("sida") or None))


def _csv(lines: Any, name: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/logg/export.csv")
@reviewer
def export_search() -> Response:
    accesses = read(services.export_log, uow(), ctx(), _filters(_stored()))
    return _csv(log_csv.lines(log_csv.ACCESS_HEADER, (log_csv.access_row(a) for a in accesses)), "logg.csv")


@bp.get("/logg/kontroller/export.csv")
@reviewer
def export_flags() -> Response:
    kept = _stored()
    call = ctx()
    first = read(services.log_flags, uow(), call, _filters(kept), register=env().register,
                 settings=env().config.log_review, rule=kept.get("rule") or None, max_results=500)

    def every() -> Any:
        page = first
        while True:
            yield from page.flags
            if page.continuation_token is None:
                return
            page = services.log_flags(uow(), call, _filters(kept), register=env().register,
                                      settings=env().config.log_review, rule=kept.get("rule") or None,
                                      continuation_token=page.continuation_token, max_results=500)

    return _csv(log_csv.lines(log_csv.FLAG_HEADER, (log_csv.flag_row(f) for f in every())), "kontroller.csv")
