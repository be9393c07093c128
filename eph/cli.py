"""The ``eph`` command.

    eph db upgrade                     create or migrate the database (EPH_DATABASE_URL)
    eph seed-demo [--if-empty]         load the demo care givers, systems and catalogue
    eph bench seed --orders N          add N orders in bulk (for make bench), with a progress bar
    eph certs init                     make the development CA and certificates (var/certs) if missing
    eph serve [all|service|platform|staff]   start the service (8081, TLS), the platform (8080),
                                       the staff web (8082), or all of them
    eph scaleout [--services 2 --platforms 2]   several nodes of each on PostgreSQL behind HAProxy (docs/scaleout.md)
    eph staff add|list|grant|revoke|password ...   the staff registry (see eph/staff_cli.py)
    eph systems key add|list|remove ...           journal systems' uthopp signing keys
    eph catalog import FILE [--replace-all]
    eph catalog export [--format yaml|json] [-o FILE]
    eph systems list | eph systems add HSA-ID KIND --name N (--care-giver CG ... | --all) [--unit HSA-ID ...]
    eph reservnummer list | eph reservnummer add OID --care-giver CG --name N [--pattern REGEX]
    eph sites list [--care-giver CG] | add HSA-ID --name ... --lab LAB | retire HSA-ID   sampling sites
    eph followup list [--all] | eph followup close CASE-ID --by STAFF-HSA-ID [--note TEXT]
    eph results release ORDER-ID --by STAFF-HSA-ID
    eph housekeeping                   expire offers and unsampled orders past validTo
    eph serve citizen                  the 1177 stand-in alone (8083; `eph serve all` starts it too)
    eph tak import FILE | export [-o FILE] | list [routings|authorizations] [--all]
    eph tak add-routing ... | add-authorization ... | end routing|authorization ID | reload
    eph lab|sampling|citizen|ehr ...   act as a consumer system through the platform (see consumers/cli.py)
    eph demo                           the whole story through the platform
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from consumers.cli import add_parsers as add_consumer_parsers
from consumers.cli import report
from consumers.errors import ConsumerError
from routing import store as routing_store
from routing import takjson
from routing.catalogue import Catalogue, CatalogueProblem, check_rows, edit_rule_problems, valid_at
from routing.config import PlatformConfig
from service_domain import catalogue, demo, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.errors import DomainError
from service_domain.model import (
    Actor,
    ActorKind,
    ConnectedSystem,
    FollowUpStatus,
    OfferDefinition,
    ReserveNumberType,
    SamplingSite,
    SystemKind,
)
from service_domain.persistence.database import Database
from staff_web.auth import hash_password
from staff_web.config import StaffWebConfig

from . import demo_catalogue, metrics, staff_cli
from .config import Settings
from .devpki import PLATFORM_HSA_ID, DevPki


def _db(settings: Settings) -> Database:
    return Database(settings.database_url)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from eph.migrate import upgrade

    upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    """The demo care givers, systems, catalogue and orders; and the demo routing catalogue when
    the platform has none. With --if-empty a database that holds data keeps it as it is."""
    db = _db(settings)
    with db.uow() as uow:
        empty = uow.is_empty()
    if args.if_empty and not empty:
        print("the service's database already holds data; demo data not loaded")
    else:
        entries, orders = demo.seed(db.uow, utcnow(), hash_password)
        print(f"demo data loaded: {len(demo.SYSTEMS)} connected systems, {len(demo.DEMO_STAFF)} staff, "
              f"{entries} catalogue entries, {orders} orders")
    with db.engine.begin() as conn:
        if routing_store.load(conn) is None:
            cat = demo_catalogue.catalogue(f"https://{settings.service_bind}")
            routing_store.save(conn, cat)
            print(f"demo routing catalogue loaded: {len(cat.routings)} routings, {len(cat.authorizations)} authorizations")
        else:
            print("the platform already has a routing catalogue; demo catalogue not loaded")
    return 0


def cmd_bench_seed(args: argparse.Namespace, settings: Settings) -> int:
    from . import benchdata

    db = _db(settings)
    print(f"adding {args.orders} orders (with offers, status history, specimens; a tenth with results)")
    bar = benchdata.Progress(args.orders)
    started = time.monotonic()
    total = benchdata.seed(db, args.orders, progress=bar.add, seed=args.seed)
    print(f"done in {time.monotonic() - started:.0f} s; the database holds {total} orders")
    return 0


def cmd_certs_init(args: argparse.Namespace, settings: Settings) -> int:
    pki = DevPki(settings.certs_dir)
    made = pki.ensure()
    print(f"development certificates in {pki.folder}: " + (f"made {', '.join(made)}" if made else "all present"))
    print(f"  CA {pki.ca.cert}; platform (SERIALNUMBER {PLATFORM_HSA_ID}) {pki.platform.cert}; service {pki.service.cert}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.what == "all":
        return serve_all(settings)
    # before anything imports prometheus-client: it picks multiprocess mode at import
    metrics.use_multiprocess_dir(args.what)
    from .server import serve_citizen, serve_platform, serve_service, serve_staff

    if args.what == "service":
        serve_service(replace(settings, service_bind=args.bind) if args.bind else settings)
    elif args.what == "staff":
        serve_staff(settings, StaffWebConfig(), args.bind)
    elif args.what == "citizen":
        serve_citizen(settings, args.bind)
    elif args.what == "platform":
        config = PlatformConfig()
        if args.bind:
            config = replace(config, bind=args.bind)
        serve_platform(settings, config)
    return 0


def serve_all(settings: Settings) -> int:
    """The service, the platform, the staff web and the 1177 stand-in, each its own server process; when
    one stops, all stop."""
    if settings.uses_dev_pki:
        DevPki(settings.certs_dir).ensure()  # once, before the servers that use it start
    procs = [subprocess.Popen([sys.executable, "-m", "eph", "serve", what]) for what in ("service", "platform", "staff", "citizen")]

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        stop()
        for p in procs:
            p.wait()
    return max(p.returncode or 0 for p in procs)


def cmd_scaleout(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, load the demo data (routed through HAProxy) into an empty database, start the nodes."""
    from eph.migrate import upgrade

    from . import scaleout

    if not settings.database_url.startswith("postgresql"):
        print("scale-out needs PostgreSQL: set EPH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/eph)",
              file=sys.stderr)
        return 2
    ports = tuple(int(p) for p in args.node_ports.split(",")) if args.node_ports else ()
    topology = scaleout.Topology(services=args.services, platforms=args.platforms, platform_port=args.platform_port,
                                 service_port=args.service_port, stats_port=args.stats_port or None,
                                 node_ports=ports, first_node_port=args.first_node_port, folder=Path(args.folder))
    upgrade(settings.database_url)
    if not args.no_demo:
        front = replace(settings, service_bind=f"{topology.host}:{topology.service_port}")
        cmd_seed_demo(argparse.Namespace(if_empty=True), front)
    for problem in scaleout.catalogue_problems(settings.database_url, topology, settings.logical_address):
        print(f"warning: {problem}", file=sys.stderr)
    return scaleout.run(topology, settings.database_url, settings.certs_dir)


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
    problems: list[str] = []
    definitions: list[OfferDefinition] = []
    sites: list[SamplingSite] = []
    try:
        definitions = catalogue.parse(document)
    except catalogue.CatalogueError as e:
        problems += e.problems
    try:
        sites = catalogue.parse_sites(document)
    except catalogue.CatalogueError as e:
        problems += e.problems
    if problems:
        print("nothing imported; the file has these problems:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    added, updated = services.import_catalogue(
        _db(settings).uow(), CallContext.operator(utcnow()), definitions, replace_all=args.replace_all, sites=sites
    )
    print(f"catalogue imported: {added} added, {updated} updated, {len(sites)} sampling sites")
    return 0


def cmd_catalog_export(args: argparse.Namespace, settings: Settings) -> int:
    db = _db(settings)
    document = catalogue.to_document(services.export_catalogue(db.uow(), CallContext.operator(utcnow())), services.list_sampling_sites(db.uow()))
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
        units = f"  (reports for {', '.join(sorted(s.units))})" if s.units else ""
        print(f"{s.hsa_id:<31} {s.kind:<9} {served:<40} {s.name}{units}")
    return 0


def cmd_systems_add(args: argparse.Namespace, settings: Settings) -> int:
    system = ConnectedSystem(
        args.hsa_id, SystemKind(args.kind), args.name, frozenset(args.care_giver or ()), all_care_givers=args.all,
        units=frozenset(args.unit or ()),
    )
    services.register_systems(_db(settings).uow(), [system])
    print(f"registered {args.hsa_id} as {args.kind}")
    return 0


def cmd_sites_list(args: argparse.Namespace, settings: Settings) -> int:
    sites = services.list_sampling_sites(_db(settings).uow(), args.care_giver)
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
    services.register_sampling_sites(_db(settings).uow(), [site])
    print(f"sampling site {args.hsa_id} registered for {args.care_giver}; its specimens go to {args.lab}")
    return 0


def cmd_sites_retire(args: argparse.Namespace, settings: Settings) -> int:
    db = _db(settings)
    found = [s for s in services.list_sampling_sites(db.uow()) if s.hsa_id.upper() == args.hsa_id.upper()]
    if not found:
        print(f"no sampling site {args.hsa_id}", file=sys.stderr)
        return 1
    services.register_sampling_sites(db.uow(), [replace(found[0], active=False)])
    print(f"sampling site {args.hsa_id} retired: patients can no longer choose it")
    return 0


def cmd_reservnummer_add(args: argparse.Namespace, settings: Settings) -> int:
    services.register_reserve_number_type(
        _db(settings).uow(), ReserveNumberType(args.oid, args.care_giver, args.name, args.pattern)
    )
    print(f"reservnummer type {args.oid} registered for {args.care_giver}")
    return 0


def cmd_reservnummer_list(args: argparse.Namespace, settings: Settings) -> int:
    with _db(settings).uow() as uow:
        kinds = uow.reserve_numbers.list()
    for k in kinds:
        print(f"{k.oid:<32} {k.care_giver:<20} {k.pattern or '-':<20} {k.name}")
    if not kinds:
        print("no reservnummer types")
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
        _db(settings).uow(), CallContext.operator(utcnow()), args.case_id, Actor(ActorKind.STAFF, args.by), args.note
    )
    print(f"follow-up case closed; {released} result version(s) released to the patient")
    return 0


def cmd_results_release(args: argparse.Namespace, settings: Settings) -> int:
    released = services.release_results(
        _db(settings).uow(), CallContext.operator(utcnow()), args.order_id, Actor(ActorKind.STAFF, args.by)
    )
    print(f"{released} result version(s) released to the patient")
    return 0


def cmd_housekeeping(args: argparse.Namespace, settings: Settings) -> int:
    offers, orders = services.expire_due(_db(settings).uow(), utcnow())
    print(f"expired {offers} offer(s) and {orders} order(s)")
    return 0


# ------------------------------------------------------------------ the routing catalogue


def _time(value: str | None, default: datetime) -> datetime:
    return takjson.parse_time(value) if value else default


def _load_tak(settings: Settings) -> Catalogue:
    with _db(settings).engine.connect() as conn:
        return routing_store.load(conn) or routing_store.empty()


def _save_tak(settings: Settings, cat: Catalogue) -> None:
    with _db(settings).engine.begin() as conn:
        routing_store.save(conn, cat)


def cmd_tak_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"cannot read {args.file}: {e}", file=sys.stderr)
        return 1
    try:
        cat = takjson.parse(document)
    except CatalogueProblem as e:
        print("nothing imported; the document has these problems:", file=sys.stderr)
        for problem in e.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    _save_tak(settings, cat)
    print(f"catalogue version {cat.version} imported: {len(cat.routings)} routings, {len(cat.authorizations)} authorizations"
          " (run 'eph tak reload' to put it in force)")
    warnings = edit_rule_problems(cat)
    if warnings:
        # what TAK's rules for editing single rows would have refused: imported as published
        print(f"{len(warnings)} warning(s), rows TAK's edit-time rules would refuse (kept as published; a key with "
              "two routings valid at once is answered VP006):", file=sys.stderr)
        for warning in warnings:
            print(f"  - {warning}", file=sys.stderr)
    return 0


def cmd_tak_export(args: argparse.Namespace, settings: Settings) -> int:
    text = json.dumps(takjson.to_document(_load_tak(settings)), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_tak_list(args: argparse.Namespace, settings: Settings) -> int:
    cat = _load_tak(settings)
    now = datetime.now(UTC)
    contracts = {c.id: c.namespace for c in cat.contracts}
    addresses = {a.id: a.hsa_id for a in cat.logical_addresses}
    components = {c.id: c.hsa_id for c in cat.components}
    call = {c.id: c for c in cat.call_addresses}
    profiles = {p.id: p.name for p in cat.profiles}
    if args.what == "routings":
        for r in cat.routings:
            if args.all or valid_at(r.valid_from, r.valid_to, now):
                ca = call[r.call_address_id]
                print(f"{r.id:>6}  {addresses[r.logical_address_id]:<24} {contracts[r.contract_id]:<78} -> "
                      f"{ca.url} ({components[ca.component_id]}, {profiles[ca.profile_id]})  "
                      f"{takjson.format_time(r.valid_from)} .. {takjson.format_time(r.valid_to)}")
    else:
        for a in cat.authorizations:
            if args.all or valid_at(a.valid_from, a.valid_to, now):
                print(f"{a.id:>6}  {components[a.consumer_id]:<24} {contracts[a.contract_id]:<78} "
                      f"@ {addresses[a.logical_address_id]}  "
                      f"{takjson.format_time(a.valid_from)} .. {takjson.format_time(a.valid_to)}")
    return 0


def _changed(settings: Settings, change: Callable[[Catalogue], tuple[Catalogue, str]]) -> int:
    try:
        cat, message = change(_load_tak(settings))
        _save_tak(settings, cat)
    except (CatalogueProblem, KeyError) as e:
        problems = e.problems if isinstance(e, CatalogueProblem) else [str(e.args[0])]
        print("nothing changed:", *problems, sep="\n  - ", file=sys.stderr)
        return 1
    print(f"{message} (catalogue version {cat.version}; run 'eph tak reload' to put it in force)")
    return 0


def cmd_tak_add_routing(args: argparse.Namespace, settings: Settings) -> int:
    def change(cat: Catalogue) -> tuple[Catalogue, str]:
        new, row = routing_store.with_routing(
            cat, args.contract, args.logical_address, args.url, args.producer, args.profile,
            _time(args.valid_from, datetime.now(UTC)), _time(args.valid_to, routing_store.FOREVER),
            now=datetime.now(UTC), who=args.by,
        )
        check_rows(new, {"vagval": {row}})
        return new, f"vagval {row} added"

    return _changed(settings, change)


def cmd_tak_add_authorization(args: argparse.Namespace, settings: Settings) -> int:
    def change(cat: Catalogue) -> tuple[Catalogue, str]:
        new, row = routing_store.with_authorization(
            cat, args.consumer, args.contract, args.logical_address,
            _time(args.valid_from, datetime.now(UTC)), _time(args.valid_to, routing_store.FOREVER),
            now=datetime.now(UTC), who=args.by, agreement=args.agreement,
        )
        check_rows(new, {"anropsbehorighet": {row}})
        return new, f"anropsbehorighet {row} added"

    return _changed(settings, change)


def cmd_tak_end(args: argparse.Namespace, settings: Settings) -> int:
    kind = "vagval" if args.kind == "routing" else "anropsbehorighet"

    def change(cat: Catalogue) -> tuple[Catalogue, str]:
        at = _time(args.at, datetime.now(UTC))
        new = routing_store.ending(cat, kind, args.id, at, now=datetime.now(UTC), who=args.by)
        check_rows(new, {kind: {args.id}})
        return new, f"{kind} {args.id} ends {at}"

    return _changed(settings, change)


def cmd_tak_reload(args: argparse.Namespace, settings: Settings) -> int:
    url = args.platform.rstrip("/") + "/reload"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""), timeout=30) as r:
            answer = json.loads(r.read())
    except urllib.error.HTTPError as e:
        answer = json.loads(e.read() or b"{}")
    except OSError as e:
        print(f"no platform answers at {url}: {e}", file=sys.stderr)
        return 1
    c = answer.get("catalogue", {})
    if answer.get("reloaded"):
        print(f"catalogue version {c.get('version')} in force: {c.get('routings')} routings, {c.get('authorizations')} authorizations")
        return 0
    print(f"reload failed ({answer.get('error')}); the catalogue in force is unchanged", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eph", description="Egen provhantering: self-managed sampling service")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="create or migrate the schema").set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser("seed-demo", help="load the demo data")
    seed.add_argument("--if-empty", action="store_true", help="only when the database holds no data yet")
    seed.set_defaults(func=cmd_seed_demo)

    bench = sub.add_parser("bench", help="data for measuring").add_subparsers(dest="bench_command", required=True)
    bs = bench.add_parser("seed", help="add many orders in bulk (for make bench)")
    bs.add_argument("--orders", type=int, required=True)
    bs.add_argument("--seed", type=int, default=1, help="the random seed (another gives other patients and codes)")
    bs.set_defaults(func=cmd_bench_seed)

    certs = sub.add_parser("certs", help="the development PKI").add_subparsers(dest="certs_command", required=True)
    certs.add_parser("init", help="make the development CA and certificates that are missing (EPH_CERTS_DIR)").set_defaults(
        func=cmd_certs_init
    )

    serve = sub.add_parser("serve", help="start a server")
    serve.add_argument("what", nargs="?", default="all", choices=["all", "service", "platform", "staff", "citizen"])
    serve.add_argument("--bind", help="host:port (service: EPH_SERVICE_BIND, 127.0.0.1:8081; platform: EPH_PLATFORM_BIND, "
                       "127.0.0.1:8080; staff web: EPH_STAFF_BIND, 127.0.0.1:8082; citizen web: "
                       "EPH_CITIZEN_WEB_BIND, 127.0.0.1:8083)")
    serve.set_defaults(func=cmd_serve)

    so = sub.add_parser("scaleout", help="several service and platform nodes on PostgreSQL behind HAProxy")
    so.add_argument("--services", type=int, default=2, help="service nodes")
    so.add_argument("--platforms", type=int, default=2, help="platform nodes")
    so.add_argument("--platform-port", type=int, default=8180, help="HAProxy in front of the platform nodes")
    so.add_argument("--service-port", type=int, default=8181, help="HAProxy in front of the service nodes (TLS)")
    so.add_argument("--stats-port", type=int, default=8189, help="HAProxy's statistics page (0: none)")
    so.add_argument("--first-node-port", type=int, default=8190, help="the nodes' ports count from here")
    so.add_argument("--node-ports", help="or each node's port, comma-separated, service nodes first")
    so.add_argument("--folder", default="var/scaleout", help="HAProxy's configuration, the logs, nodes.json")
    so.add_argument("--no-demo", action="store_true", help="do not load the demo data into an empty database")
    so.set_defaults(func=cmd_scaleout)

    cat = sub.add_parser("catalog", help="offer catalogue").add_subparsers(dest="catalog_command", required=True)
    imp = cat.add_parser("import", help="import a catalogue document (YAML or JSON), all or nothing")
    imp.add_argument("file")
    imp.add_argument("--replace-all", action="store_true",
                     help="deactivate the entries of the file's care givers that are not in the file")
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
    add.add_argument("--unit", action="append",
                     help="a lab or sampling unit it reports for besides itself (repeatable)")
    add.set_defaults(func=cmd_systems_add)
    staff_cli.add_key_parsers(systems)

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

    tak = sub.add_parser("tak", help="the platform's routing catalogue").add_subparsers(dest="tak_command", required=True)
    ti = tak.add_parser("import", help="load a TAK published-version JSON document (replaces the catalogue; all or nothing)")
    ti.add_argument("file")
    ti.set_defaults(func=cmd_tak_import)
    te = tak.add_parser("export", help="write the catalogue as a TAK published-version JSON document")
    te.add_argument("-o", "--output")
    te.set_defaults(func=cmd_tak_export)
    tl = tak.add_parser("list", help="routings or authorizations valid now")
    tl.add_argument("what", nargs="?", default="routings", choices=["routings", "authorizations"])
    tl.add_argument("--all", action="store_true", help="also rows not valid now")
    tl.set_defaults(func=cmd_tak_list)
    times = argparse.ArgumentParser(add_help=False)
    times.add_argument("--from", dest="valid_from", help="fromTidpunkt (default now), e.g. 2026-01-01T00:00:00+0100")
    times.add_argument("--to", dest="valid_to", help="tomTidpunkt (default 9999-12-31T00:00:00+0100)")
    times.add_argument("--by", default="eph tak", help="who makes the change")
    tr = tak.add_parser("add-routing", parents=[times], help="add a routing (vagval)")
    tr.add_argument("--contract", required=True, help="service contract namespace (the responder namespace)")
    tr.add_argument("--logical-address", required=True)
    tr.add_argument("--url", required=True, help="the producer's address")
    tr.add_argument("--producer", required=True, help="HSA-id of the producer component")
    tr.add_argument("--profile", default="RIVTABP21", choices=["RIVTABP21", "RIVTABP20"])
    tr.set_defaults(func=cmd_tak_add_routing)
    ta = tak.add_parser("add-authorization", parents=[times], help="add an authorization (anropsbehorighet)")
    ta.add_argument("--consumer", required=True, help="HSA-id of the consumer (the sender)")
    ta.add_argument("--contract", required=True)
    ta.add_argument("--logical-address", required=True)
    ta.add_argument("--agreement", help="integrationsavtal")
    ta.set_defaults(func=cmd_tak_add_authorization)
    tx = tak.add_parser("end", help="end a routing or authorization (sets tomTidpunkt)")
    tx.add_argument("kind", choices=["routing", "authorization"])
    tx.add_argument("id", type=int)
    tx.add_argument("--at", help="when it ends (default now)")
    tx.add_argument("--by", default="eph tak")
    tx.set_defaults(func=cmd_tak_end)
    tre = tak.add_parser("reload", help="make the running platform re-read the catalogue")
    tre.add_argument("--platform", default=f"http://{os.environ.get('EPH_PLATFORM_BIND', '127.0.0.1:8080')}")
    tre.set_defaults(func=cmd_tak_reload)

    staff_cli.add_parsers(sub)
    add_consumer_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.func.__module__ == "consumers.cli":
            return int(args.func(args))
        return int(args.func(args, Settings()))
    except DomainError as e:
        print(f"refused: {e.message}", file=sys.stderr)
        return 1
    except ConsumerError as e:
        return report(e)


if __name__ == "__main__":
    sys.exit(main())
