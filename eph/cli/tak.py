"""``eph tak``: the platform's routing catalogue (TAK), imported, exported, listed, edited a row
at a time, and put in force on a running platform."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routing import store as routing_store
from routing import takjson
from routing.catalogue import Catalogue, CatalogueProblem, check_rows, edit_rule_problems, valid_at

from ..config import Settings
from .common import database


def _time(value: str | None, default: datetime) -> datetime:
    return takjson.parse_time(value) if value else default


def _load_tak(settings: Settings) -> Catalogue:
    with database(settings).engine.connect() as conn:
        return routing_store.load(conn) or routing_store.empty()


def _save_tak(settings: Settings, cat: Catalogue) -> None:
    with database(settings).engine.begin() as conn:
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
    if args.database:
        return _reload_through_database(settings)
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


def _reload_through_database(settings: Settings) -> int:
    """Record a reload in the database, as a platform node does after its own: every node sharing the
    database follows it. For platforms whose /reload answers no one (EPH_VP_HTTP_ALLOW empty)."""
    with database(settings).engine.begin() as conn:
        cat = routing_store.load(conn)
        if cat is None:
            print("the database holds no catalogue: nothing to put in force", file=sys.stderr)
            return 1
        generation = routing_store.announce_reload(conn, cat.version, "eph tak reload --database", datetime.now(UTC))
    print(f"reload {generation} recorded: every platform node on this database puts catalogue version "
          f"{cat.version} in force within about a second")
    return 0


def add_parsers(sub: Any) -> None:
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
    tre.add_argument("--database", action="store_true",
                     help="record the reload in the database instead; every platform node follows it")
    tre.set_defaults(func=cmd_tak_reload)
