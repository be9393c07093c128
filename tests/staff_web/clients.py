"""What the staff web's test modules share: a seeded database of the module's own, and a test
client of the staff web with the development login on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service_domain.persistence.database import Database
from service_domain.ports import PopulationRegister
from staff_web.app import create_app
from staff_web.config import StaffWebConfig
from tests.conftest import seeded


def web_database(tmp_path_factory: pytest.TempPathFactory, population: PopulationRegister | None = None) -> Database:
    return Database(seeded(f"sqlite:///{Path(tmp_path_factory.mktemp('web')) / 'eph.sqlite3'}"), population=population)


def dev_client(db: Database) -> FlaskClient:
    app = create_app(db, replace(StaffWebConfig(), dev_login=True))
    app.config["TESTING"] = True
    return app.test_client()
