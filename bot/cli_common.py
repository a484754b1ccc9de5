"""What every ``slabot`` sub-command shares: the reader's language and one-line failures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import typer
from dotenv import dotenv_values

from sla.i18n import Translator, translator

LANG_ENV = "SLABOT_LANG"
ENV_FILE = ".env"  # in the working directory, as bot.settings.Settings reads it


def cli_translator(lang: str | None = None) -> Translator:
    """The language asked for with ``--lang``, else ``$SLABOT_LANG`` from the environment or,
    failing that, from ``.env`` in the working directory, else English."""
    return translator(lang or _setting(LANG_ENV) or None)


def configured_language() -> str | None:
    """``$SLABOT_LANG`` (from the environment or ``.env``), if set."""
    return _setting(LANG_ENV) or None


def _setting(name: str) -> str | None:
    """A variable from the environment, else from ``.env`` (an unreadable file counts as none)."""
    if name in os.environ:
        return os.environ[name]
    path = Path(ENV_FILE)
    try:
        return dotenv_values(path).get(name) if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def write_output(text: str, output: Path | None) -> None:
    """``text`` to standard output, or to the file ``-o`` names; a file that cannot be written
    ends the command with one line."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        t = cli_translator()
        reason = error.strerror or error
        fail(t._("{file} cannot be written: {reason}", file=output, reason=reason), 1)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line for a person on stderr and leave with ``code`` (no traceback)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)
