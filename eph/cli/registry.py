"""``eph systems`` (connected systems, and their keys: ``eph.cli.staff``), ``eph sites`` (sampling
sites) and ``eph reservnummer`` (the care givers' reservnummer types)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from service_domain import services
from service_domain.model import ConnectedSystem, ReserveNumberType, SamplingSite, SystemKind

from ..config import Settings
from . import staff
from .common import database


def cmd_systems_list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings).uow() as uow:
        systems = uow.systems.list()
    for s in systems:
        served = "all care givers" if s.all_care_givers else ", ".join(sorted(s.care_givers)) or "-"
        units = f"  (reports for {', '.join(sorted(s.units))})" if s.units else ""
        print(f"{s.hsa_id:<31} {s.kind:<10} {served:<40} {s.name}{units}")
    return 0


def cmd_systems_add(args: argparse.Namespace, settings: Settings) -> int:
    system = ConnectedSystem(
        args.hsa_id, SystemKind(args.kind), args.name, frozenset(args.care_giver or ()), all_care_givers=args.all,
        units=frozenset(args.unit or ()),
    )
    services.register_systems(database(settings).uow(), [system])
    print(f"registered {args.hsa_id} as {args.kind}")
    return 0


def cmd_sites_list(args: argparse.Namespace, settings: Settings) -> int:
    sites = services.list_sampling_sites(database(settings).uow(), args.care_giver)
    for site in sites:
        state = "" if site.active else "  (retired)"
        print(f"{site.hsa_id:<24} {site.name:<32} {site.street}, {site.postal_code} {site.city}  lab {site.performing_lab}"
              f"  {site.opening_hours or ''}{state}")
    if not sites:
        print("no sampling sites")
    return 0


def cmd_sites_add(args: argparse.Namespace, settings: Settings) -> int:
    site = SamplingSite(args.hsa_id, args.name, args.care_giver.upper(), args.street, args.postal_code, args.city,
                        args.lab, args.hours)
    services.register_sampling_sites(database(settings).uow(), [site])
    print(f"sampling site {args.hsa_id} registered for {args.care_giver}; its specimens go to {args.lab}")
    return 0


def cmd_sites_retire(args: argparse.Namespace, settings: Settings) -> int:
    db = database(settings)
    found = [s for s in services.list_sampling_sites(db.uow()) if s.hsa_id.upper() == args.hsa_id.upper()]
    if not found:
        print(f"no sampling site {args.hsa_id}", file=sys.stderr)
        return 1
    services.register_sampling_sites(db.uow(), [replace(found[0], active=False)])
    print(f"sampling site {args.hsa_id} retired: patients can no longer choose it")
    return 0


def cmd_units_list(args: argparse.Namespace, settings: Settings) -> int:
    names = services.unit_names(database(settings).uow())
    for hsa_id, name in names.items():
        print(f"{hsa_id:<32} {name}")
    if not names:
        print("no names of care givers or care units")
    return 0


def cmd_units_add(args: argparse.Namespace, settings: Settings) -> int:
    services.register_unit_names(database(settings).uow(), {args.hsa_id: args.name})
    print(f"{args.hsa_id} named")
    return 0


def cmd_reservnummer_add(args: argparse.Namespace, settings: Settings) -> int:
    services.register_reserve_number_type(
        database(settings).uow(), ReserveNumberType(args.oid, args.care_giver, args.name, args.pattern)
    )
    print(f"reservnummer type {args.oid} registered for {args.care_giver}")
    return 0


def cmd_reservnummer_list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings).uow() as uow:
        kinds = uow.reserve_numbers.list()
    for k in kinds:
        print(f"{k.oid:<32} {k.care_giver:<20} {k.pattern or '-':<20} {k.name}")
    if not kinds:
        print("no reservnummer types")
    return 0


def add_parsers(sub: Any) -> None:
    systems = sub.add_parser("systems", help="connected systems").add_subparsers(dest="systems_command", required=True)
    systems.add_parser("list").set_defaults(func=cmd_systems_list)
    add = systems.add_parser("add", help="register or replace a connected system")
    add.add_argument("hsa_id")
    add.add_argument("kind", choices=[k.value for k in SystemKind])
    add.add_argument("--name", required=True)
    scope = add.add_mutually_exclusive_group(required=True)
    scope.add_argument("--care-giver", action="append", help="a care giver whose data it may touch (repeatable)")
    scope.add_argument("--all", action="store_true", help="it serves every care giver")
    add.add_argument("--unit", action="append",
                     help="a lab or sampling unit it reports for besides itself (repeatable)")
    add.set_defaults(func=cmd_systems_add)
    staff.add_key_parsers(systems)

    sites = sub.add_parser("sites", help="the care givers' sampling sites").add_subparsers(
        dest="sites_command", required=True
    )
    sl = sites.add_parser("list")
    sl.add_argument("--care-giver")
    sl.set_defaults(func=cmd_sites_list)
    sa = sites.add_parser("add", help="register or change a sampling site")
    sa.add_argument("hsa_id")
    sa.add_argument("--name", required=True)
    sa.add_argument("--care-giver", required=True)
    sa.add_argument("--street", required=True)
    sa.add_argument("--postal-code", required=True)
    sa.add_argument("--city", required=True)
    sa.add_argument("--lab", required=True, help="HSA-id of the lab its specimens go to")
    sa.add_argument("--hours", help="opening hours, as patients read them")
    sa.set_defaults(func=cmd_sites_add)
    sr = sites.add_parser("retire", help="patients can no longer choose the site")
    sr.add_argument("hsa_id")
    sr.set_defaults(func=cmd_sites_retire)

    units = sub.add_parser("units", help="the names of care givers and care units").add_subparsers(
        dest="units_command", required=True
    )
    units.add_parser("list").set_defaults(func=cmd_units_list)
    ua = units.add_parser("add", help="name a care giver or care unit (the patient's access log shows it)")
    ua.add_argument("hsa_id")
    ua.add_argument("--name", required=True)
    ua.set_defaults(func=cmd_units_add)

    reserve = sub.add_parser("reservnummer", help="the care givers' reservnummer types").add_subparsers(
        dest="reservnummer_command", required=True
    )
    reserve.add_parser("list").set_defaults(func=cmd_reservnummer_list)
    ra = reserve.add_parser("add", help="let a care giver's reservnummer (under its OID) identify patients")
    ra.add_argument("oid", help="the OID of the reservnummer kind, the PersonIdType type")
    ra.add_argument("--care-giver", required=True)
    ra.add_argument("--name", required=True)
    ra.add_argument("--pattern", help="the regional format as a regular expression (default: 1-32 letters and digits)")
    ra.set_defaults(func=cmd_reservnummer_add)
