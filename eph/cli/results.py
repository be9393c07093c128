"""``eph followup`` (cases of positive notifiable results), ``eph results release`` (held results)
and ``eph housekeeping`` (expiring what is past validTo, writing the patients' reminders)."""

from __future__ import annotations

import argparse
from typing import Any

from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.model import Actor, ActorKind, FollowUpStatus
from service_domain.services import outbox

from ..config import Settings
from .common import database


def cmd_followup_list(args: argparse.Namespace, settings: Settings) -> int:
    cases = services.list_follow_ups(database(settings).uow(), None if args.all else FollowUpStatus.OPEN)
    for c in cases:
        print(f"{c.case_id}  {c.status:<6} order {c.order_id}  unit {c.care_unit}  opened {c.opened_time:%Y-%m-%d %H:%M}")
    if not cases:
        print("no follow-up cases")
    return 0


def cmd_followup_close(args: argparse.Namespace, settings: Settings) -> int:
    released = services.close_follow_up(
        database(settings).uow(), CallContext.operator(utcnow()), args.case_id, Actor(ActorKind.STAFF, args.by), args.note
    )
    print(f"follow-up case closed; {released} result version(s) released to the patient")
    return 0


def cmd_results_release(args: argparse.Namespace, settings: Settings) -> int:
    released = services.release_results(
        database(settings).uow(), CallContext.operator(utcnow()), args.order_id, Actor(ActorKind.STAFF, args.by)
    )
    print(f"{released} result version(s) released to the patient")
    return 0


def cmd_housekeeping(args: argparse.Namespace, settings: Settings) -> int:
    offers, orders = services.expire_due(database(settings).uow(), utcnow())
    reminders = services.remind_due(database(settings).uow(), utcnow())
    forgotten = outbox.forget_delivered(database(settings).uow(), utcnow())
    print(f"expired {offers} offer(s) and {orders} order(s); wrote {reminders} reminder(s); "
          f"deleted {forgotten} delivered outbox event(s)")
    return 0


def add_parsers(sub: Any) -> None:
    fu = sub.add_parser("followup", help="follow-up of positive notifiable results").add_subparsers(
        dest="followup_command", required=True
    )
    fl = fu.add_parser("list")
    fl.add_argument("--all", action="store_true", help="closed cases too")
    fl.set_defaults(func=cmd_followup_list)
    fc = fu.add_parser("close", help="close a case; releases the results it held")
    fc.add_argument("case_id")
    fc.add_argument("--by", required=True, help="HSA-id of the staff member")
    fc.add_argument("--note", help="a note kept with the case; the reason it closes, when the patient "
                                   "is not recorded as contacted (needed then)")
    fc.set_defaults(func=cmd_followup_close)

    res = sub.add_parser("results", help="results").add_subparsers(dest="results_command", required=True)
    rel = res.add_parser("release", help="release an order's held results (AFTER_REVIEW)")
    rel.add_argument("order_id")
    rel.add_argument("--by", required=True, help="HSA-id of the staff member")
    rel.set_defaults(func=cmd_results_release)

    sub.add_parser("housekeeping", help="expire what is past validTo; write the patients' reminders; delete outbox events delivered long ago").set_defaults(func=cmd_housekeeping)
