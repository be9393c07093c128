"""``eph region`` and ``eph agreement``: regions, their catalogue and contact, the agreements
that put care givers under them, and a region's statistics."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from service_domain import services
from service_domain.clock import local_date, utcnow
from service_domain.commands import CallContext
from service_domain.model.regions import Agreement, Region
from service_domain.model.statistics import Cell
from service_domain.services.regions import month

from ..config import Settings
from .common import database


def _operator() -> CallContext:
    return CallContext.operator(utcnow())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _month(text: str) -> tuple[date, date]:
    try:
        return month(date.fromisoformat(text + "-01"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a month (YYYY-MM)") from None


def _codes(values: list[str] | None) -> frozenset[str]:
    return frozenset(c.strip() for v in values or [] for c in v.split(",") if c.strip())


def cmd_region_add(args: argparse.Namespace, settings: Settings) -> int:
    region = services.put_region(database(settings).uow(), _operator(), Region(
        args.hsa_id, args.name, args.phone, args.email, _codes(args.offer_code), _codes(args.analysis)))
    print(f"region {region.hsa_id} registered: {len(region.offer_codes)} offer codes, {len(region.analyses)} analyses")
    return 0


def cmd_region_list(args: argparse.Namespace, settings: Settings) -> int:
    for r in services.list_regions(database(settings).uow()):
        print(f"{r.hsa_id}\t{r.name}\t{r.phone or '-'}\t{r.email or '-'}")
    return 0


def _agreement_line(a: Agreement, names: dict[str, str] | None = None) -> str:
    name = (names or {}).get(a.care_giver.upper(), "")
    kind = "own" if a.own else "private"
    return f"{a.agreement_id}\t{a.region}\t{a.care_giver}\t{kind}\t{a.valid_from}\t{a.valid_to or '-'}\t{name}".rstrip()


def cmd_region_show(args: argparse.Namespace, settings: Settings) -> int:
    view = services.region_view(database(settings).uow(), _operator(), args.hsa_id)
    r = view.region
    print(f"region:      {r.hsa_id} {r.name}")
    print(f"contact:     {r.phone or '-'}  {r.email or '-'}")
    print(f"offer codes: {', '.join(sorted(r.offer_codes)) or '(none)'}")
    print(f"analyses:    {', '.join(sorted(r.analyses)) or '(none)'}")
    print("agreements:")
    for a in view.agreements:
        print("  " + _agreement_line(a, view.names))
    return 0


def _cell(c: Cell) -> str:
    return "<5" if c.value is None else str(c.value)


def cmd_region_stats(args: argparse.Namespace, settings: Settings) -> int:
    first, last = args.month or (args.first, args.last)
    if first is None or last is None:
        first, last = month(local_date(utcnow()))
    s = services.region_statistics(database(settings).uow(), _operator(), first, last, args.hsa_id)
    print(f"period {first} – {last}; cells under 5 people shown as <5")
    print("care giver\torders\tkits sent\tkits returned")
    for cg in s.care_givers:
        print(f"{cg}\t{_cell(s.orders[cg])}\t{_cell(s.kits_sent[cg])}\t{_cell(s.kits_returned[cg])}")
    print(f"total\t{_cell(s.orders_total)}\t{_cell(s.kits_sent_total)}\t{_cell(s.kits_returned_total)}")
    t = s.turnaround
    print(f"hours from order to result: median {t.median_hours if t.median_hours is not None else '<5'}, "
          f"90th percentile {t.p90_hours if t.p90_hours is not None else '<5'}")
    for code in s.analyses:
        share = s.positivity(code)
        print(f"{code}\t{s.analysis_names.get(code, code)}\tfindings {_cell(s.tested[code])}\t"
              f"positive {_cell(s.positive[code])}\t{'-' if share is None else f'{share} %'}")
    return 0


def cmd_agreement_add(args: argparse.Namespace, settings: Settings) -> int:
    a = services.add_agreement(database(settings).uow(), _operator(), args.region, args.care_giver,
                               args.valid_from, args.valid_to, own=args.own)
    print(f"agreement {a.agreement_id}: {a.care_giver} under {a.region} from {a.valid_from} to {a.valid_to or '(no end)'}")
    return 0


def cmd_agreement_end(args: argparse.Namespace, settings: Settings) -> int:
    a = services.end_agreement(database(settings).uow(), _operator(), args.agreement_id,
                               args.last_day or local_date(utcnow()))
    print(f"agreement {a.agreement_id} ends {a.valid_to} (the care giver is under the region until that day ends)")
    return 0


def cmd_agreement_list(args: argparse.Namespace, settings: Settings) -> int:
    for a in services.list_agreements(database(settings).uow(), _operator(), args.region, args.care_giver):
        print(_agreement_line(a))
    return 0


def add_parsers(sub: Any) -> None:
    reg = sub.add_parser("region", help="regions: catalogue, contact, statistics").add_subparsers(
        dest="region_command", required=True)
    add = reg.add_parser("add", help="register a region, or replace its name, contact and catalogue")
    add.add_argument("hsa_id", help="the region's HSA-id (the region as care giver)")
    add.add_argument("--name", required=True)
    add.add_argument("--phone", help="the region's support number, shown to its staff")
    add.add_argument("--email", help="the region's support e-mail, shown to its staff")
    add.add_argument("--offer-code", action="append", metavar="CODE[,CODE]",
                     help="an offer code the care givers under the region may use (repeatable)")
    add.add_argument("--analysis", action="append", metavar="CODE[,CODE]",
                     help="an analysis code they may use (repeatable)")
    add.set_defaults(func=cmd_region_add)
    reg.add_parser("list", help="the regions").set_defaults(func=cmd_region_list)
    show = reg.add_parser("show", help="a region, its catalogue and agreements")
    show.add_argument("hsa_id")
    show.set_defaults(func=cmd_region_show)
    stats = reg.add_parser("stats", help="a region's statistics for a month or whole months (no identities)")
    stats.add_argument("hsa_id")
    stats.add_argument("--month", type=_month, metavar="YYYY-MM", help="default: this month")
    stats.add_argument("--from", dest="first", type=_day, metavar="YYYY-MM-DD", help="a month's first day")
    stats.add_argument("--to", dest="last", type=_day, metavar="YYYY-MM-DD", help="a month's last day")
    stats.set_defaults(func=cmd_region_stats)

    agr = sub.add_parser("agreement", help="agreements that put care givers under a region").add_subparsers(
        dest="agreement_command", required=True)
    a_add = agr.add_parser("add", help="put a care giver under a region for a period")
    a_add.add_argument("region")
    a_add.add_argument("care_giver")
    a_add.add_argument("--from", dest="valid_from", type=_day, required=True, metavar="YYYY-MM-DD")
    a_add.add_argument("--to", dest="valid_to", type=_day, metavar="YYYY-MM-DD", help="last day (default: no end)")
    a_add.add_argument("--own", action="store_true", help="one of the region's own care givers")
    a_add.set_defaults(func=cmd_agreement_add)
    end = agr.add_parser("end", help="end an agreement (default: today is its last day)")
    end.add_argument("agreement_id")
    end.add_argument("--on", dest="last_day", type=_day, metavar="YYYY-MM-DD")
    end.set_defaults(func=cmd_agreement_end)
    lst = agr.add_parser("list", help="agreements, of a region or a care giver")
    lst.add_argument("--region")
    lst.add_argument("--care-giver")
    lst.set_defaults(func=cmd_agreement_list)
