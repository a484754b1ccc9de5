"""The database the command line and the transports use, migrated before first use."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from sla.db import make_engine, upgrade


def open_database(url: str) -> Engine:
    """An engine on ``url`` with the schema at the newest revision (SQLite files are created)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    return engine
