"""``eph db`` (the schema) and ``eph seed-demo`` (the demo data of ``eph.demo``)."""

from __future__ import annotations

import argparse
from typing import Any

from consumers.engagement_index.config import EngagementIndexConfig
from consumers.journal.config import JournalConfig
from routing import store as routing_store
from service_domain.clock import utcnow
from staff_web.auth import hash_password

from .. import demo
from ..config import Settings
from ..demo import routing as demo_routing
from .common import database


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from eph.migrate import upgrade

    upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    """The demo care givers, systems, catalogue and orders; and the demo routing catalogue when
    the platform has none. With --if-empty a database that holds data keeps it as it is, but demo
    systems registered by their former English names get their Swedish ones."""
    db = database(settings)
    with db.uow() as uow:
        empty = uow.is_empty()
    if args.if_empty and not empty:
        print("the service's database already holds data; demo data not loaded")
        renamed = demo.rename_systems(db.uow)
        if demo.seed_regions(db.uow, utcnow()):
            print("the demo regions and the private care giver's agreement added")
        if renamed:
            print(f"{renamed} demo systems, care givers and care units given their (Swedish) names")
    else:
        entries, orders = demo.seed(db.uow, utcnow(), hash_password)
        staff = len(demo.DEMO_STAFF) + len(demo.CONNECTED_STAFF)
        print(f"demo data loaded: {len(demo.SYSTEMS)} connected systems, {staff} staff, "
              f"{entries} catalogue entries, {orders} orders")
    with db.engine.begin() as conn:
        if routing_store.load(conn) is None:
            cat = demo_routing.catalogue(f"https://{settings.service_bind}",
                                         engagement_index_url=f"http://{EngagementIndexConfig().bind}",
                                         subscribers=demo_routing.demo_subscribers(f"http://{JournalConfig().bind}"))
            routing_store.save(conn, cat)
            print(f"demo routing catalogue loaded: {len(cat.routings)} routings, {len(cat.authorizations)} authorizations")
        else:
            print("the platform already has a routing catalogue; demo catalogue not loaded")
    return 0


def add_parsers(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="create or migrate the schema").set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser("seed-demo", help="load the demo data")
    seed.add_argument("--if-empty", action="store_true", help="only when the database holds no data yet")
    seed.set_defaults(func=cmd_seed_demo)
