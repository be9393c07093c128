"""``eph retention show`` (how long each kind of data is kept, and why), ``eph retention run``
(delete what has outlived it now, under the housekeeping lease) and ``eph retention log`` (the
deletion record)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from service_domain import services
from service_domain.model import DeletionRecord

from ..config import Settings
from ..housekeeping import Housekeeping
from ..retention import describe, variable
from .common import database

RUN_LEASE_SECONDS = 30


def cmd_retention_show(args: argparse.Namespace, settings: Settings) -> int:
    for kind, r in settings.retention.kinds.items():
        print(f"{kind.value:<15} {describe(r.period):>6}  {r.action.value:<9}  ({variable(kind)})")
        print(f"{'':<15} {r.basis}")
    every = settings.retention_every
    print(f"housekeeping runs retention every {describe(every)}" if every else "housekeeping runs no retention")
    return 0


def _print(records: list[DeletionRecord]) -> None:
    for r in records:
        print(f"{r.time:%Y-%m-%d %H:%M:%S}Z  {r.kind.value:<15} {r.count:>7}  ended before {r.cutoff:%Y-%m-%d %H:%M}Z"
              f"  {r.node}")


def cmd_retention_run(args: argparse.Namespace, settings: Settings) -> int:
    db = database(settings)
    # a short lease, renewed before each batch: the servers' housekeeping takes over soon after
    keeper = Housekeeping(db, RUN_LEASE_SECONDS, retention=settings.retention)
    records = keeper.apply_retention(keeper.clock())
    if records is None:
        print("another process holds the housekeeping lease; its housekeeping runs retention", file=sys.stderr)
        return 1
    _print(records)
    return 0


def cmd_retention_log(args: argparse.Namespace, settings: Settings) -> int:
    records = services.deletion_records(database(settings).uow(), args.limit)
    _print(records)
    if not records:
        print("no retention run yet")
    return 0


def add_parsers(sub: Any) -> None:
    ret = sub.add_parser("retention", help="how long data is kept; deleting what has outlived it").add_subparsers(
        dest="retention_command", required=True
    )
    ret.add_parser("show", help="each kind's period, what becomes of it and the legal basis").set_defaults(
        func=cmd_retention_show)
    ret.add_parser("run", help="delete or anonymise what has outlived its period, now").set_defaults(
        func=cmd_retention_run)
    lg = ret.add_parser("log", help="the deletion record, newest first")
    lg.add_argument("--limit", type=int, default=50)
    lg.set_defaults(func=cmd_retention_log)
