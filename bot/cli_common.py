"""What every ``slabot`` sub-command shares: the reader's language and one-line failures."""

from __future__ import annotations

import os
from typing import NoReturn

import typer

from sla.i18n import Translator, translator

LANG_ENV = "SLABOT_LANG"


def cli_translator(lang: str | None = None) -> Translator:
    """The language asked for with ``--lang``, else ``$SLABOT_LANG``, else English."""
    return translator(lang or os.environ.get(LANG_ENV))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line for a person on stderr and leave with ``code`` (no traceback)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)
