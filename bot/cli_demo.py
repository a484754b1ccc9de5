"""``slabot demo``: the bot in the terminal on its embedded defaults."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml
from sqlalchemy.engine import make_url

from bot.cli_common import cli_translator, fail
from bot.console.transport import Console
from bot.database import open_database
from bot.settings import data_dir
from sla.db import session_scope
from sla.directory_file import import_directory, parse_directory
from sla.i18n import Translator

DEMO_DIRECTORY = Path(__file__).parent / "console" / "demo.yaml"
_ = cli_translator()._


def _interactive(console: Console) -> Iterator[str]:
    while console.running:
        try:
            yield input(f"{console.who}> ")
        except EOFError:
            return


def _empty(url: str, t: Translator) -> None:
    """Remove the SQLite file of ``url`` (an in-memory database starts empty anyway); refuse
    any other database rather than drop someone's tables."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        shown = parsed.render_as_string(hide_password=True)
        fail(t._("--reset only empties a SQLite file; it leaves {url} as it is.", url=shown))
    name = parsed.database or ""
    if name and name != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)


def demo(
    reset: Annotated[bool, typer.Option(help=_("Start with an empty demo database."))] = False,
    database: Annotated[
        str | None, typer.Option(help=_("Database URL (default: a file in your data directory)."))
    ] = None,
    who: Annotated[str, typer.Option("--as", help=_("Who you are at the start."))] = "anna",
    now: Annotated[
        str | None,
        typer.Option(help=_("Freeze the clock at this ISO time (for reproducible scripts).")),
    ] = None,
) -> None:
    """Run the bot in this terminal: one customer per seed contract, contacts and support staff."""
    t = cli_translator()
    frozen: datetime | None = None
    if now is not None:
        try:
            frozen = datetime.fromisoformat(now)
        except ValueError:
            fail(t._("{value} is not an ISO 8601 time.", value=now))
        if frozen.tzinfo is None:
            fail(t._("{value} needs a UTC offset, e.g. 2026-11-24T10:00+01:00.", value=now))
    url = database or f"sqlite:///{data_dir() / 'demo.sqlite3'}"
    if reset:
        _empty(url, t)
    engine = open_database(url)
    with session_scope(engine) as session:
        import_directory(session, parse_directory(yaml.safe_load(DEMO_DIRECTORY.read_text())))
    clock = (lambda: frozen) if frozen is not None else (lambda: datetime.now(UTC))
    interactive = sys.stdin.isatty()
    console = Console(engine, sys.stdout, clock=clock, who=who.lower(), echo=not interactive)
    console.run(_interactive(console) if interactive else sys.stdin)
    engine.dispose()
