"""``eph audit``: the log review at the console, for an operator acting on one care giver's
audit records (``--care-giver``): search, the checks' flags, marking a flag reviewed, and the
export of either as CSV. Like the staff web's log review page, every listing is recorded in the
patients' access logs. The namesake check asks the population register the settings name
(EPH_POPULATION_URL); without one it is left out, and said so."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from service_domain import services
from service_domain.clock import SWEDISH_TZ, utcnow
from service_domain.commands import CallContext
from service_domain.model import Flag, LoggedAccess, Rule
from service_domain.services import LogFilters
from staff_web import log_csv
from staff_web.config import review_settings

from .common import database


def _filters(args: argparse.Namespace) -> LogFilters:
    return LogFilters(args.patient, args.staff, args.unit, args.system, args.interaction, args.start, args.end)


def _line(a: LoggedAccess) -> str:
    r = a.record
    return (f"{a.record_id:>10} {r.time.astimezone(SWEDISH_TZ):%Y-%m-%d %H:%M:%S} {r.patient_id:<13} "
            f"{r.action.value:<5} {r.operation.value:<26} {r.actor_id or '-':<24} {r.care_unit or '-'}")


def _flag_line(f: Flag) -> str:
    reviewed = f"reviewed by {f.review.reviewed_by}" if f.review else "not reviewed"
    return f"{f.rule.value:<14} {_line(f.access)}  [{reviewed}]"


def _ctx() -> CallContext:
    return CallContext.operator(utcnow())


def cmd_search(args: argparse.Namespace, settings: Any) -> int:
    page = services.search_log(database(settings).uow(), _ctx(), _filters(args), args.token, args.max,
                               care_giver=args.care_giver)
    for a in page.accesses:
        print(_line(a))
    if not page.accesses:
        print("no audit records match")
    if page.continuation_token:
        print(f"more: --token {page.continuation_token}")
    return 0


def cmd_flags(args: argparse.Namespace, settings: Any) -> int:
    page = services.log_flags(database(settings).uow(), _ctx(), _filters(args), settings=review_settings(),
                              rule=args.rule, continuation_token=args.token, max_results=args.max,
                              care_giver=args.care_giver)
    print(f"checks of {page.period_start} to {page.period_end}")
    for f in page.flags:
        print(_flag_line(f))
    if not page.flags:
        print("nothing flagged")
    if not page.namesakes_checked:
        print("namesakes not checked: no population register is connected or it did not answer", file=sys.stderr)
    if page.continuation_token:
        print(f"more: --token {page.continuation_token}")
    return 0


def cmd_review(args: argparse.Namespace, settings: Any) -> int:
    review = services.review_flag(database(settings).uow(), _ctx(), args.rule, args.record, args.note,
                                  reviewed_by=args.by, care_giver=args.care_giver)
    print(f"flag {review.rule.value} of record {review.record_id} reviewed by {review.reviewed_by}")
    return 0


def _all_flags(args: argparse.Namespace, settings: Any) -> Any:
    token = None
    while True:
        page = services.log_flags(database(settings).uow(), _ctx(), _filters(args), settings=review_settings(),
                                  rule=args.rule, continuation_token=token, max_results=500,
                                  care_giver=args.care_giver)
        yield from page.flags
        token = page.continuation_token
        if token is None:
            return


def cmd_export(args: argparse.Namespace, settings: Any) -> int:
    if args.flags:
        text = log_csv.lines(log_csv.FLAG_HEADER, (log_csv.flag_row(f) for f in _all_flags(args, settings)))
    else:
        accesses = services.export_log(database(settings).uow(), _ctx(), _filters(args), care_giver=args.care_giver)
        text = log_csv.lines(log_csv.ACCESS_HEADER, (log_csv.access_row(a) for a in accesses))
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        for line in text:
            out.write(line)
    finally:
        if args.output:
            out.close()
    return 0


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--care-giver", required=True, help="the care giver whose audit records are reviewed")
    p.add_argument("--patient", help="the patient's personal identity number")
    p.add_argument("--staff", help="the staff member's HSA-id")
    p.add_argument("--unit", help="the care unit's HSA-id")
    p.add_argument("--system", help="the calling system's HSA-id")
    p.add_argument("--interaction", help="the operation, e.g. PatientView")
    p.add_argument("--from", dest="start", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", type=date.fromisoformat, help="last day (YYYY-MM-DD)")


def add_parsers(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the log review of a care giver's audit records").add_subparsers(
        dest="audit_command", required=True)
    search = audit.add_parser("search", help="audit records by filter, newest first")
    _filter_args(search)
    search.add_argument("--max", type=int, default=50)
    search.add_argument("--token", help="the continuation token of the previous page")
    search.set_defaults(func=cmd_search)
    flags = audit.add_parser("flags", help="the accesses the checks flag (default: the last 7 days)")
    _filter_args(flags)
    flags.add_argument("--rule", choices=[r.value for r in Rule])
    flags.add_argument("--max", type=int, default=50)
    flags.add_argument("--token")
    flags.set_defaults(func=cmd_flags)
    review = audit.add_parser("review", help="mark a flag reviewed, with a note")
    review.add_argument("--care-giver", required=True)
    review.add_argument("--rule", required=True, choices=[r.value for r in Rule])
    review.add_argument("--record", required=True, type=int, help="the audit record's number")
    review.add_argument("--by", required=True, help="the reviewer's HSA-id")
    review.add_argument("--note", required=True)
    review.set_defaults(func=cmd_review)
    export = audit.add_parser("export", help="a search (or with --flags the flags) as CSV")
    _filter_args(export)
    export.add_argument("--flags", action="store_true")
    export.add_argument("--rule", choices=[r.value for r in Rule])
    export.add_argument("--output", "-o", help="a file (default: standard output)")
    export.set_defaults(func=cmd_export)
