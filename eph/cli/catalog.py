"""``eph catalog``: the offer catalogue and sampling sites, imported from and exported to a document."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from service_domain import catalogue, services
from service_domain.clock import utcnow
from service_domain.commands import CallContext

from ..config import Settings
from .common import database


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
        definitions, sites = catalogue.parse_document(document)
    except catalogue.CatalogueError as e:
        print("nothing imported; the file has these problems:", file=sys.stderr)
        for problem in e.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    added, updated = services.import_catalogue(
        database(settings).uow(), CallContext.operator(utcnow()), definitions, replace_all=args.replace_all, sites=sites
    )
    print(f"catalogue imported: {added} added, {updated} updated, {len(sites)} sampling sites")
    return 0


def cmd_catalog_export(args: argparse.Namespace, settings: Settings) -> int:
    db = database(settings)
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


def add_parsers(sub: Any) -> None:
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
