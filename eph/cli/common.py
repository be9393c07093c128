"""What the command modules share."""

from __future__ import annotations

from service_domain.persistence.database import Database

from ..config import Settings
from ..population import configured_register


def database(settings: Settings) -> Database:
    """The database, with the population register the settings name (None: none configured)."""
    return Database(settings.database_url, population=configured_register())
