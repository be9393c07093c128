"""Schema migrations (Alembic), run programmatically: ``eph db upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from service_domain.persistence.database import database_url

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).with_name("migrations")
VERSION_LOCATIONS = (
    ROOT / "service_domain" / "persistence" / "migrations" / "versions",
    ROOT / "routing" / "migrations" / "versions",
    ROOT / "staff_web" / "migrations" / "versions",
)


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("version_locations", " ".join(str(p) for p in VERSION_LOCATIONS))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)
