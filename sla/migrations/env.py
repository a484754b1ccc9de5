"""Alembic environment: runs on the engine handed over by ``sla.db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import sla.models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when alembic is run by hand with a URL
    from sla.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
