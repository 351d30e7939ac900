"""Alembic environment: the gateway's tables, migrated with a blocking connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text
from vp_gateway.adapters.db.tables import Base

config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK = 0x7670_6D69_6772  # any constant shared by every gateway: "vpmigr"


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas (or worker processes) starting together migrate one at a time; the
                # others wait, then find the schema current.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
