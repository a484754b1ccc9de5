"""The database as the command line opens it: one line for a database that cannot be used,
and upgrades that wait for each other on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from sla.db import MIGRATIONS
from tests.conftest import POSTGRES_URL, private_schema

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLABOT_LANG", "en")


def _closed_port() -> int:
    """A local TCP port nobody listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [["db", "upgrade"], ["outbox", "list"]])
@pytest.mark.parametrize(
    ("url", "code", "line"),
    [
        ("not a url", 2, "Not a database URL: not a url"),
        (
            "postgresql+psycopg://u:s3cret@h:port/x",
            2,
            "Not a database URL: postgresql+psycopg://u:***@h:port/x",
        ),
        (
            "postgres://u:s3cret@127.0.0.1/x",
            2,
            "Unknown kind of database in postgres://u:***@127.0.0.1/x"
            " (use sqlite:///… or postgresql+psycopg://…).",
        ),
        (
            "mysql+nosuchdriver://u:s3cret@127.0.0.1/x",
            2,
            "Unknown kind of database in mysql+nosuchdriver://u:***@127.0.0.1/x"
            " (use sqlite:///… or postgresql+psycopg://…).",
        ),
        (
            "postgresql+psycopg://postgres:s3cret@127.0.0.1:{port}/x",
            1,
            "The database at postgresql+psycopg://postgres:***@127.0.0.1:{port}/x"
            " cannot be reached: connection refused.",
        ),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line(
    monkeypatch: pytest.MonkeyPatch, command: list[str], url: str, code: int, line: str
) -> None:
    """A URL that cannot work exits 2, a database that cannot be reached 1; either way one line
    on stderr that shows the URL without its password, and no traceback."""
    port = _closed_port()
    monkeypatch.setenv("SLABOT_DATABASE_URL", url.format(port=port))
    result = runner.invoke(app, command)
    expected = (code, line.format(port=port) + "\n", "")
    assert (result.exit_code, result.stderr, result.stdout) == expected
    assert "s3cret" not in result.output


def test_a_missing_driver_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kind of database whose driver is not installed says so (exit 2)."""
    monkeypatch.setenv("SLABOT_DATABASE_URL", "mysql+mysqldb://u:s3cret@127.0.0.1/x")
    monkeypatch.setitem(sys.modules, "MySQLdb", None)  # importing it fails, installed or not
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "The driver for mysql+mysqldb://u:***@127.0.0.1/x is not installed ("
    )
    assert result.stderr.count("\n") == 1


@pytest.fixture
def fresh_schema() -> Iterator[str]:
    """The URL of an empty, private schema on the test PostgreSQL (dropped afterwards)."""
    with private_schema() as schema:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)


def _head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.mark.postgres
def test_upgrades_started_together_take_turns(fresh_schema: str) -> None:
    """Three ``slabot db upgrade`` at once on an empty PostgreSQL schema: each waits for the one
    before it and then finds the schema current; none fails creating the same tables."""
    env = {**os.environ, "SLABOT_DATABASE_URL": fresh_schema, "SLABOT_LANG": "en"}
    upgrades = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(process.communicate(timeout=120), process.returncode) for process in upgrades]
    for (stdout, stderr), code in results:
        assert (code, stderr) == (0, ""), stderr[-2000:]
        assert stdout == "The database schema is up to date.\n"
    engine = create_engine(fresh_schema)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == [_head()]
