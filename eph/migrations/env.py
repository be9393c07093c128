"""Alembic environment of the project's database: the service domain's tables and the
platform's routing catalogue and the staff web's sessions, each with its own branch of revisions
(``service_domain/persistence/migrations/versions``, ``routing/migrations/versions``,
``staff_web/migrations/versions``)."""

from __future__ import annotations

from alembic import context

from routing.store import metadata as routing_metadata
from service_domain.persistence.database import make_engine
from service_domain.persistence.tables import metadata as domain_metadata
from staff_web.store import metadata as staff_web_metadata

config = context.config
target_metadata = [domain_metadata, routing_metadata, staff_web_metadata]


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
