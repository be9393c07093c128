"""The ``eph`` command.

    eph db upgrade                     create or migrate the database (EPH_DATABASE_URL)
    eph seed-demo [--if-empty]         load the demo care givers, systems and catalogue
    eph serve [service]                start the service on 127.0.0.1:8081
    eph catalog import FILE [--replace-all]
    eph catalog export [--format yaml|json] [-o FILE]
    eph systems list | eph systems add HSA-ID KIND --name N (--care-giver CG ... | --all)
    eph followup list [--all] | eph followup close CASE-ID --by STAFF-HSA-ID [--note TEXT]
    eph results release ORDER-ID --by STAFF-HSA-ID
    eph housekeeping                   expire offers and unsampled orders past validTo
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from service_domain import catalogue, demo, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import DomainError
from service_domain.model import Actor, ActorKind, ConnectedSystem, FollowUpStatus, SystemKind
from service_domain.persistence.database import Database

from .config import Settings


def _db(settings: Settings) -> Database:
    return Database(settings.database_url)


def _staff_context(operation: str) -> CallContext:
    return CallContext(interaction=operation, log_id=str(uuid.uuid4()), consumer=None, now=utcnow())


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from eph.migrate import upgrade

    upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    db = _db(settings)
    with db.uow() as uow:
        empty = uow.is_empty()
    if args.if_empty and not empty:
        print("database already holds data; demo data not loaded")
        return 0
    entries, orders = demo.seed(db.uow, utcnow())
    print(f"demo data loaded: {len(demo.SYSTEMS)} connected systems, {entries} catalogue entries, {orders} orders")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .server import serve_service

    if args.what == "service":
        serve_service(settings, args.bind)
        return 0
    print(f"unknown server {args.what!r}", file=sys.stderr)
    return 2


def _read_document(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def cmd_catalog_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        document = _read_document(Path(args.file))
    except (OSError, ValueError, yaml.YAMLError) as e:
        print(f"cannot read {args.file}: {e}", file=sys.stderr)
        return 1
    try:
        definitions = catalogue.parse(document)
    except catalogue.CatalogueError as e:
        print("nothing imported; the file has these problems:", file=sys.stderr)
        for problem in e.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    added, updated = services.import_catalogue(_db(settings).uow(), definitions, replace_all=args.replace_all)
    print(f"catalogue imported: {added} added, {updated} updated")
    return 0


def cmd_catalog_export(args: argparse.Namespace, settings: Settings) -> int:
    document = catalogue.to_document(services.export_catalogue(_db(settings).uow()))
    if args.format == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_systems_list(args: argparse.Namespace, settings: Settings) -> int:
    with _db(settings).uow() as uow:
        systems = uow.systems.list()
    for s in systems:
        served = "all care givers" if s.all_care_givers else ", ".join(sorted(s.care_givers)) or "-"
        print(f"{s.hsa_id:<31} {s.kind:<9} {served:<40} {s.name}")
    return 0


def cmd_systems_add(args: argparse.Namespace, settings: Settings) -> int:
    system = ConnectedSystem(
        args.hsa_id, SystemKind(args.kind), args.name, frozenset(args.care_giver or ()), all_care_givers=args.all
    )
    services.register_systems(_db(settings).uow(), [system])
    print(f"registered {args.hsa_id} as {args.kind}")
    return 0


def cmd_followup_list(args: argparse.Namespace, settings: Settings) -> int:
    cases = services.list_follow_ups(_db(settings).uow(), None if args.all else FollowUpStatus.OPEN)
    for c in cases:
        print(f"{c.case_id}  {c.status:<6} order {c.order_id}  unit {c.care_unit}  opened {c.opened_time:%Y-%m-%d %H:%M}")
    if not cases:
        print("no follow-up cases")
    return 0


def cmd_followup_close(args: argparse.Namespace, settings: Settings) -> int:
    released = services.close_follow_up(
        _db(settings).uow(), _staff_context("CloseFollowUp"), args.case_id, Actor(ActorKind.STAFF, args.by), args.note
    )
    print(f"follow-up case closed; {released} result version(s) released to the patient")
    return 0


def cmd_results_release(args: argparse.Namespace, settings: Settings) -> int:
    released = services.release_results(
        _db(settings).uow(), _staff_context("ReleaseResults"), args.order_id, Actor(ActorKind.STAFF, args.by)
    )
    print(f"{released} result version(s) released to the patient")
    return 0


def cmd_housekeeping(args: argparse.Namespace, settings: Settings) -> int:
    offers, orders = services.expire_due(_db(settings).uow(), utcnow())
    print(f"expired {offers} offer(s) and {orders} order(s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eph", description="Egen provhantering: self-managed sampling service")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="create or migrate the schema").set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser("seed-demo", help="load the demo data")
    seed.add_argument("--if-empty", action="store_true", help="only when the database holds no data yet")
    seed.set_defaults(func=cmd_seed_demo)

    serve = sub.add_parser("serve", help="start a server")
    serve.add_argument("what", nargs="?", default="service", choices=["service"])
    serve.add_argument("--bind", help="host:port (default from EPH_SERVICE_BIND, 127.0.0.1:8081)")
    serve.set_defaults(func=cmd_serve)

    cat = sub.add_parser("catalog", help="offer catalogue").add_subparsers(dest="catalog_command", required=True)
    imp = cat.add_parser("import", help="import a catalogue document (YAML or JSON), all or nothing")
    imp.add_argument("file")
    imp.add_argument("--replace-all", action="store_true", help="deactivate entries that are not in the file")
    imp.set_defaults(func=cmd_catalog_import)
    exp = cat.add_parser("export", help="write the catalogue as a document that imports back")
    exp.add_argument("--format", choices=["yaml", "json"], default="yaml")
    exp.add_argument("-o", "--output")
    exp.set_defaults(func=cmd_catalog_export)

    systems = sub.add_parser("systems", help="connected systems").add_subparsers(dest="systems_command", required=True)
    systems.add_parser("list").set_defaults(func=cmd_systems_list)
    add = systems.add_parser("add", help="register or replace a connected system")
    add.add_argument("hsa_id")
    add.add_argument("kind", choices=[k.value for k in SystemKind])
    add.add_argument("--name", required=True)
    scope = add.add_mutually_exclusive_group(required=True)
    scope.add_argument("--care-giver", action="append", help="a care giver whose data it may touch (repeatable)")
    scope.add_argument("--all", action="store_true", help="it serves every care giver")
    add.set_defaults(func=cmd_systems_add)

    fu = sub.add_parser("followup", help="follow-up of positive notifiable results").add_subparsers(
        dest="followup_command", required=True
    )
    fl = fu.add_parser("list")
    fl.add_argument("--all", action="store_true", help="closed cases too")
    fl.set_defaults(func=cmd_followup_list)
    fc = fu.add_parser("close", help="close a case; releases the results it held")
    fc.add_argument("case_id")
    fc.add_argument("--by", required=True, help="HSA-id of the staff member")
    fc.add_argument("--note")
    fc.set_defaults(func=cmd_followup_close)

    res = sub.add_parser("results", help="results").add_subparsers(dest="results_command", required=True)
    rel = res.add_parser("release", help="release an order's held results (AFTER_REVIEW)")
    rel.add_argument("order_id")
    rel.add_argument("--by", required=True, help="HSA-id of the staff member")
    rel.set_defaults(func=cmd_results_release)

    sub.add_parser("housekeeping", help="expire what is past validTo").set_defaults(func=cmd_housekeeping)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, Settings()))
    except DomainError as e:
        print(f"refused: {e.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
