"""``slabot directory import|export`` and ``slabot db upgrade``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.cli_common import cli_translator, fail, write_output
from bot.database import open_database
from bot.settings import Settings
from handlers.directory import directory_error_text
from sla.db import session_scope
from sla.directory import DirectoryError
from sla.directory_file import Change, export_directory, import_directory, parse_directory
from sla.i18n import Translator

_ = cli_translator()._
app = typer.Typer(help=_("Customers, contact persons, staff and chats."), no_args_is_help=True)
db_app = typer.Typer(help=_("The database schema."), no_args_is_help=True)


def describe(t: Translator, change: Change, *, dry_run: bool) -> str:
    """One change for a person, e.g. "add contact acme/anna" or "would update staff sam: name"."""
    subjects = {
        "customer": t._("customer"),
        "contact": t._("contact person"),
        "staff": t._("staff member"),
        "escalation": t._("escalation level"),
        "customer_chat": t._("customer chat"),
        "support_chat": t._("support chat"),
    }
    subject, key = subjects.get(change.subject, change.subject), change.key
    if change.action == "add":
        text = (
            t._("would add {subject} {key}", subject=subject, key=key)
            if dry_run
            else t._("added {subject} {key}", subject=subject, key=key)
        )
    elif change.action == "remove":
        text = (
            t._("would remove {subject} {key}", subject=subject, key=key)
            if dry_run
            else t._("removed {subject} {key}", subject=subject, key=key)
        )
    else:
        text = (
            t._("would update {subject} {key}", subject=subject, key=key)
            if dry_run
            else t._("updated {subject} {key}", subject=subject, key=key)
        )
    return f"{text}: {', '.join(change.fields)}" if change.fields else text


class _DryRun(Exception):
    """Raised to roll back a dry run's transaction."""


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help=_("A directory YAML file."))],
    dry_run: Annotated[
        bool, typer.Option(help=_("Show what would change; change nothing."))
    ] = False,
) -> None:
    """Add or update everything in FILE (entries not in it are kept). Safe to run again."""
    t = cli_translator()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(t._("{file} cannot be read: {reason}", file=file, reason=exc.strerror or exc), 1)
    except UnicodeDecodeError:
        fail(t._("{file} cannot be read: {reason}", file=file, reason=t._("not UTF-8 text")), 1)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0]
        fail(t._("{file} is not valid YAML: {reason}", file=file, reason=first), 1)
    try:
        parsed = parse_directory(data)
    except ValueError as exc:
        fail("\n".join(f"{file.name}: {line}" for line in str(exc).splitlines()), 1)
    engine = open_database(Settings().database_url)
    changes: list[Change] = []
    try:
        with session_scope(engine) as session:
            changes = import_directory(session, parsed)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except DirectoryError as error:
        fail(t._("Nothing was imported: {reason}", reason=directory_error_text(t, error)), 1)
    finally:
        engine.dispose()
    for change in changes:
        typer.echo(describe(t, change, dry_run=dry_run))
    if not changes:
        typer.echo(t._("Nothing to change."))


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help=_("Write to this file, not stdout."))
    ] = None,
) -> None:
    """Print the whole directory in the import file's format."""
    engine = open_database(Settings().database_url)
    with session_scope(engine) as session:
        data = export_directory(session)
    engine.dispose()
    write_output(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), output)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database named by SLABOT_DATABASE_URL to the newest schema."""
    open_database(Settings().database_url).dispose()
    typer.echo(cli_translator()._("The database schema is up to date."))
