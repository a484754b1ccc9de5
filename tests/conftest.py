"""Shared fixtures: migrated databases (SQLite always, PostgreSQL where it runs) and a chat
driver that talks to the handlers through the router with an injected clock."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from sla.db import make_engine, session_scope, upgrade
from sla.directory_file import import_directory, parse_directory
from tests.chat import ChatDriver

DEMO_DIRECTORY = Path(__file__).parents[1] / "bot" / "console" / "demo.yaml"
POSTGRES_URL = os.environ.get(
    "SLABOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _sqlite(template: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "slabot.sqlite3"
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = _sqlite(sqlite_template, tmp_path)
    yield engine
    engine.dispose()


def postgres_available() -> bool:
    try:
        probe = create_engine(POSTGRES_URL)
        with probe.connect():
            pass
        probe.dispose()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def private_schema() -> Iterator[str]:
    """An empty schema of its own on the test PostgreSQL, dropped afterwards; its name.

    Skipped where no server runs, except in CI (``CI`` set), where that is a failure.
    """
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        pytest.skip("no PostgreSQL server to test against")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated, private schema on the test PostgreSQL; dropped afterwards."""
    with private_schema() as schema:
        engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The record layer runs on both engines."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def load_demo_directory(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_directory(session, parse_directory(yaml.safe_load(DEMO_DIRECTORY.read_text())))


@pytest.fixture
def chat(sqlite_engine: Engine) -> ChatDriver:
    """The demo directory, and a driver at Tuesday 24 November 2026, 10:00 Amsterdam time."""
    load_demo_directory(sqlite_engine)
    return ChatDriver(sqlite_engine, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
def pg_chat(postgres_engine: Engine) -> ChatDriver:
    load_demo_directory(postgres_engine)
    return ChatDriver(postgres_engine, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
