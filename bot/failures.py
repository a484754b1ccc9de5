"""Failures told in one line, for logs and operators: no traceback, no connection string."""

from __future__ import annotations


def summary(error: BaseException) -> str:
    """The kind of a failure and the first line of what it says. For a database error that is
    the driver's own ("OperationalError: connection refused"), not SQLAlchemy's wrapping with
    the statement and a link."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
