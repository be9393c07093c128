"""``eph outbox``: the events waiting to tell other systems of results, and the patients of notices
(list, retry, park).
What it prints names events by id, kind and state, never the patient or the data they carry."""

from __future__ import annotations

import argparse
from typing import Any

from service_domain.clock import utcnow
from service_domain.model import EventState, NoticeDue, OutboxEvent
from service_domain.services import outbox

from ..config import Settings
from .common import database


def _line(e: OutboxEvent) -> str:
    due = f"next {e.next_attempt:%Y-%m-%d %H:%M:%S}" if e.state is EventState.PENDING else ""
    error = f"  last error {e.last_error}" if e.last_error else ""
    # a notice by its kind only: never its patient, channel or address (looked up at delivery)
    notice = f"  notice {e.payload.kind}" if isinstance(e.payload, NoticeDue) else ""
    return (f"{e.event_id}  {e.kind:<12} {e.state:<9} attempts {e.attempts:<3} "
            f"written {e.created_time:%Y-%m-%d %H:%M:%S}  {due}{notice}{error}").rstrip()


def cmd_outbox_list(args: argparse.Namespace, settings: Settings) -> int:
    state = EventState(args.state) if args.state else None
    events = outbox.list_events(database(settings).uow(), state, args.limit)
    for e in events:
        print(_line(e))
    counts = outbox.outbox_counts(database(settings).uow())
    print(f"{counts.pending} queued, {counts.parked} parked")
    return 0


def cmd_outbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    event = outbox.retry_event(database(settings).uow(), args.event_id, utcnow())
    print(f"event {event.event_id} queued for delivery")
    return 0


def cmd_outbox_park(args: argparse.Namespace, settings: Settings) -> int:
    event = outbox.park_event(database(settings).uow(), args.event_id)
    print(f"event {event.event_id} parked")
    return 0


def add_parsers(sub: Any) -> None:
    ob = sub.add_parser("outbox", help="events to other systems (the engagement index) and notices to patients").add_subparsers(
        dest="outbox_command", required=True
    )
    ls = ob.add_parser("list", help="queued and parked events, oldest first")
    ls.add_argument("--state", choices=[s.value for s in EventState], help="only events in this state")
    ls.add_argument("--limit", type=int, default=outbox.LIST_LIMIT)
    ls.set_defaults(func=cmd_outbox_list)
    rt = ob.add_parser("retry", help="deliver a parked event again")
    rt.add_argument("event_id")
    rt.set_defaults(func=cmd_outbox_retry)
    pk = ob.add_parser("park", help="stop delivering a queued event (retry brings it back)")
    pk.add_argument("event_id")
    pk.set_defaults(func=cmd_outbox_park)
