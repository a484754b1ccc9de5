"""The bot's own housekeeping while it runs."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import BotApp
from bot.inbox import Inbox
from handlers.types import ChatRef, Command, UserRef
from sla.db import checkpoint
from sla.models import InboundEvent
from tests.conftest import load_demo_directory

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _marks(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(e.key for e in session.exec(select(InboundEvent)))


def test_a_running_bot_forgets_marks_older_than_kept(sqlite_engine: Engine) -> None:
    load_demo_directory(sqlite_engine)
    event = Command("help", "", UserRef("console", "anna"), ChatRef("console", "anna"))
    Inbox(sqlite_engine, clock=lambda: NOW - timedelta(days=10)).process(event, dedupe="old")
    Inbox(sqlite_engine, clock=lambda: NOW).process(event, dedupe="new")
    app = BotApp(sqlite_engine, clock=lambda: NOW, forget_seconds=0.05)

    async def run() -> list[str]:
        await app.start()
        try:
            for _ in range(100):  # the first round runs at start
                if _marks(sqlite_engine) == ["new"]:
                    break
                await asyncio.sleep(0.05)
        finally:
            await app.stop()
        return _marks(sqlite_engine)

    assert asyncio.run(run()) == ["new"]


def test_a_running_bot_checkpoints_sqlite_from_a_thread_of_its_own(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its connections no longer checkpoint inside a commit (the fsync held up every writer,
    BENCHMARKS.md); the bot copies the log back itself, every CHECKPOINT_SECONDS, in a worker
    thread so that the fsync holds up no handling."""
    import bot.app

    calls: list[tuple[int, tuple[int, int, int]]] = []

    def recorded(engine: Engine) -> tuple[int, int, int]:
        result = checkpoint(engine)
        calls.append((threading.get_ident(), result))
        return result

    monkeypatch.setattr(bot.app, "CHECKPOINT_SECONDS", 0.01)
    monkeypatch.setattr(bot.app, "checkpoint", recorded)
    app = BotApp(sqlite_engine, clock=lambda: NOW, forget_seconds=3600)

    async def run() -> tuple[int, int]:
        await app.start()
        try:
            with sqlite_engine.connect() as connection:
                automatic = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            for _ in range(500):
                if len(calls) >= 3:
                    break
                await asyncio.sleep(0.01)
        finally:
            await app.stop()
        return int(automatic or 0), threading.get_ident()

    automatic, loop_thread = asyncio.run(run())
    assert automatic == 0
    assert len(calls) >= 3 and all(thread != loop_thread for thread, _ in calls)
    assert all(busy == 0 for _, (busy, _, _) in calls)
