"""The bot's own housekeeping while it runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import BotApp
from bot.inbox import Inbox
from handlers.types import ChatRef, Command, UserRef
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
