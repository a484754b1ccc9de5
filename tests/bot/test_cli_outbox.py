"""``slabot outbox list|retry`` on a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from bot.database import open_database
from bot.outbox import enqueue
from handlers.types import ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage


def test_list_and_retry_parked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parked message is listed (without its text unless asked) and can be sent again."""
    url = f"sqlite:///{tmp_path / 'o.sqlite3'}"
    monkeypatch.setenv("SLABOT_DATABASE_URL", url)
    engine = open_database(url)
    with session_scope(engine) as session:
        enqueue(
            session,
            [Reply("secret body", chat=ChatRef("telegram", "42"))],
            datetime(2026, 11, 24, tzinfo=UTC),
        )
        parked = session.exec(select(OutboxMessage)).one()
        parked.status, parked.attempts, parked.last_error = "parked", 8, "Forbidden"
    runner = CliRunner()
    listed = runner.invoke(app, ["outbox", "list"])
    assert listed.exit_code == 0 and "parked" in listed.output and "telegram:42" in listed.output
    assert "secret body" not in listed.output
    assert "secret body" in runner.invoke(app, ["outbox", "list", "--show-text"]).output
    assert runner.invoke(app, ["outbox", "retry"]).exit_code == 2
    retried = runner.invoke(app, ["outbox", "retry", "--all-parked"])
    assert retried.exit_code == 0 and "1" in retried.output
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        assert (row.status, row.attempts) == ("pending", 0)
