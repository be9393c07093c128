"""The ``eph`` command. Each module of this package adds its own subcommands (``add_parsers``);
``eph --help`` and ``eph COMMAND --help`` list them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from consumers.cli import add_parsers as add_consumer_parsers
from consumers.cli import report
from consumers.errors import ConsumerError
from service_domain.errors import DomainError

from ..config import Settings
from . import (
    audit,
    catalog,
    data,
    outbox,
    population,
    regions,
    registry,
    results,
    retention,
    serve,
    staff,
    tak,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eph", description="Egen provhantering: self-managed sampling service")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data, serve, catalog, registry, regions, results, outbox, retention, tak, staff, population, audit):
        module.add_parsers(sub)
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
