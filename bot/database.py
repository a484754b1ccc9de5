"""The database the command line and the transports use, migrated before first use.

``open_database`` is the command line's: a database that cannot be used ends the command with
one line on stderr, without a traceback or a password — exit code 2 for a URL that cannot work
(not a URL, an unknown kind of database, its driver not installed), 1 for a database that cannot
be reached (refused, unknown host, wrong password, no such database). ``migrated_engine`` raises
``DatabaseProblem`` instead, for a caller that waits for the database and tries again.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.cli_common import cli_translator, fail
from sla.db import make_engine, upgrade
from sla.i18n import Translator


class DatabaseProblem(Exception):
    """The database cannot be used. ``url`` is fit to show (no password), ``reason`` is one
    line, and ``orig`` the error underneath (the driver's own, for a database error)."""

    exit_code = 2

    def __init__(self, url: str, reason: str, error: BaseException) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason
        self.orig: BaseException = getattr(error, "orig", None) or error

    def explain(self, t: Translator) -> str:
        """The line for the operator, in their language."""
        raise NotImplementedError


class NotADatabaseURL(DatabaseProblem):
    """The URL does not parse (or names options SQLAlchemy refuses)."""

    def explain(self, t: Translator) -> str:
        return t._("Not a database URL: {url}", url=self.url)


class UnknownDatabaseKind(DatabaseProblem):
    """The URL names a kind of database SQLAlchemy does not know (``postgres://``, ``foo://``)."""

    def explain(self, t: Translator) -> str:
        return t._(
            "Unknown kind of database in {url} (use sqlite:///… or postgresql+psycopg://…).",
            url=self.url,
        )


class DriverMissing(DatabaseProblem):
    """The database's driver (a Python package) is not installed."""

    def explain(self, t: Translator) -> str:
        return t._(
            "The driver for {url} is not installed ({reason}).", url=self.url, reason=self.reason
        )


class DatabaseUnreachable(DatabaseProblem):
    """No connection could be made: the server is not there, refuses or does not know us."""

    exit_code = 1

    def explain(self, t: Translator) -> str:
        return t._(
            "The database at {url} cannot be reached: {reason}.", url=self.url, reason=self.reason
        )


def open_database(url: str) -> Engine:
    """An engine on ``url`` with the schema at the newest revision (SQLite files are created);
    a database that cannot be used ends the command with one line (see the module)."""
    try:
        return migrated_engine(url)
    except DatabaseProblem as problem:
        fail(problem.explain(cli_translator()), problem.exit_code)


def migrated_engine(url: str) -> Engine:
    """An engine on ``url`` with the schema at the newest revision (SQLite files are created).

    Raises ``DatabaseProblem`` when the URL cannot work or no connection can be made; an error
    while migrating propagates as it is.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:  # ValueError: a port that is no number
        raise NotADatabaseURL(_masked(url), str(error), error) from error
    shown = parsed.render_as_string(hide_password=True)
    try:
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url)
    except NoSuchModuleError as error:
        raise UnknownDatabaseKind(shown, str(error), error) from error
    except ArgumentError as error:
        raise NotADatabaseURL(shown, str(error), error) from error
    except ImportError as error:
        raise DriverMissing(shown, str(error), error) from error
    except OSError as error:  # the SQLite file's folder cannot be made
        raise DatabaseUnreachable(shown, _reason(error), error) from error
    try:
        try:
            with engine.connect():
                pass
        except DBAPIError as error:
            raise DatabaseUnreachable(shown, _reason(error), error) from error
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _masked(url: str) -> str:
    """A URL that does not parse, with whatever looks like a password in it hidden."""
    return re.sub(r"(://[^/@:]*:)[^@]*@", r"\1***@", url)


def _reason(error: BaseException) -> str:
    """Why a connection failed, in a few words: the driver's first line, without the address
    it already names ("connection to server at …, port 9 failed: Connection refused")."""
    cause = getattr(error, "orig", None) or error
    text = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    lines = text.strip().splitlines()
    reason = lines[0] if lines else type(cause).__name__
    reason = reason.rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip().rstrip(".")
    if reason[1:2].islower():
        reason = reason[0].lower() + reason[1:]
    return reason
