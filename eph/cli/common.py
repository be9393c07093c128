"""What the command modules share."""

from __future__ import annotations

from service_domain.persistence.database import Database

from ..config import Settings


def database(settings: Settings) -> Database:
    return Database(settings.database_url)
