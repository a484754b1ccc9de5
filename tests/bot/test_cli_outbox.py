"""``slabot outbox list|retry`` on a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.database import open_database
from bot.outbox import enqueue
from handlers.types import ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage
from tests.conftest import load_demo_directory
from tests.desk import Desk


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


@pytest.fixture
def outbox(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Three messages on the demo directory: 1 parked (of an incident), 2 pending, 3 sent."""
    monkeypatch.setenv("SLABOT_DATABASE_URL", sqlite_engine.url.render_as_string(False))
    monkeypatch.setenv("SLABOT_LANG", "en")
    load_demo_directory(sqlite_engine)
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with session_scope(sqlite_engine) as session:
        incident = Desk(session).open("scholengroep", "P1", now)
        chat = ChatRef("slack", "C042")
        enqueue(session, [Reply("first\nline", chat=chat)], now, incident_id=incident.id)
        enqueue(session, [Reply("second", chat=chat), Reply("third", chat=chat)], now)
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        assert [row.id for row in rows] == [1, 2, 3]
        rows[0].status, rows[0].attempts, rows[0].last_error = "parked", 8, "channel_not_found"
        rows[1].attempts = 2
        rows[2].status, rows[2].sent_at = "sent", now
    return sqlite_engine


def _statuses(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [row.status for row in rows]


@pytest.mark.parametrize(
    ("ids", "error"),
    [
        (["999"], "There is no message 999.\n"),
        (["998", "999", "998"], "There are no messages 998, 999.\n"),
        (["3"], "Message 3 (sent) is not parked and stays as it is.\n"),
        (["2", "3"], "Messages 2 (pending), 3 (sent) are not parked and stay as they are.\n"),
        (
            ["999", "3"],
            "There is no message 999.\nMessage 3 (sent) is not parked and stays as it is.\n",
        ),
    ],
)
def test_retrying_nothing_that_can_be_retried_says_why_and_exits_1(
    outbox: Engine, ids: list[str], error: str
) -> None:
    """Unknown ids and messages not parked are named, nothing changes, and the exit code is 1."""
    result = CliRunner().invoke(app, ["outbox", "retry", *ids])
    assert (result.exit_code, result.stderr, result.stdout) == (1, error, "")
    assert _statuses(outbox) == ["parked", "pending", "sent"]


def test_retrying_some_of_the_ids_retries_those_and_names_the_others(outbox: Engine) -> None:
    """One parked message among an unknown and a sent one: it is retried, the others are
    named, and the exit code is 0."""
    result = CliRunner().invoke(app, ["outbox", "retry", "999", "1", "3"])
    assert result.exit_code == 0
    assert result.stdout == "1 message will be sent again.\n"
    assert result.stderr == (
        "There is no message 999.\nMessage 3 (sent) is not parked and stays as it is.\n"
    )
    assert _statuses(outbox) == ["pending", "pending", "sent"]


def test_retrying_all_parked_with_none_parked_is_no_mistake(outbox: Engine) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["outbox", "retry", "--all-parked"]).exit_code == 0
    again = runner.invoke(app, ["outbox", "retry", "--all-parked"])
    assert (again.exit_code, again.stdout) == (0, "0 messages will be sent again.\n")


def test_list_as_json(outbox: Engine) -> None:
    """``--format json``: every message not sent, its incident's reference, and the text only
    when asked for."""
    runner = CliRunner()
    result = runner.invoke(app, ["outbox", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed == [
        {
            "id": 1,
            "status": "parked",
            "platform": "slack",
            "chat_id": "C042",
            "attempts": 8,
            "created_at": "2026-11-24T09:00:00+00:00",
            "next_attempt_at": "2026-11-24T09:00:00+00:00",
            "sent_at": None,
            "last_error": "channel_not_found",
            "incident": "KLIK-1",
        },
        {
            "id": 2,
            "status": "pending",
            "platform": "slack",
            "chat_id": "C042",
            "attempts": 2,
            "created_at": "2026-11-24T09:00:00+00:00",
            "next_attempt_at": "2026-11-24T09:00:00+00:00",
            "sent_at": None,
            "last_error": None,
            "incident": None,
        },
    ]
    parked = runner.invoke(
        app, ["outbox", "list", "--status", "parked", "--format", "json", "--show-text"]
    )
    assert [(m["id"], m["text"]) for m in json.loads(parked.stdout)] == [(1, "first\nline")]
    text = runner.invoke(app, ["outbox", "list", "--format", "text"])
    assert text.stdout.splitlines()[0].startswith("1\tparked\tslack:C042\tattempts=8\t")


def test_list_as_json_when_nothing_waits(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLABOT_DATABASE_URL", sqlite_engine.url.render_as_string(False))
    runner = CliRunner()
    result = runner.invoke(app, ["outbox", "list", "--format", "json"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert runner.invoke(app, ["outbox", "list", "--format", "csv"]).exit_code == 2
