"""The Telegram side end to end: real PTB polling against the fake Bot API on 127.0.0.1.

Time is the test's: the bot's clock moves only when told, and the timers fire only when a test
fires them. Tests wait for conditions (with a timeout), never for fixed periods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app import BotApp
from bot.settings import Settings
from bot.telegram import TelegramService
from sla.db import session_scope
from sla.directory_file import import_directory, parse_directory
from sla.models import Incident, IncidentEvent, OutboxMessage
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi, Person, Sent

DIRECTORY = Path(__file__).with_name("directory.yaml")
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Amsterdam
CUSTOMER_GROUP, SUPPORT_GROUP = -1001, -2001
ANNA = Person(1001, "Anna", "nl")
BRAM = Person(1002, "Bram", "nl")
SAM = Person(2001, "Sam", "en")
LISA = Person(2002, "Lisa", "nl")
STRANGER = Person(9999, "Fremder", "de")
T = TypeVar("T")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def load_directory(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_directory(session, parse_directory(yaml.safe_load(DIRECTORY.read_text())))


async def until(check: Callable[[], T | None], what: str, timeout: float = 5.0) -> T:
    """Wait for ``check`` to return something truthy; fail naming ``what`` after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Telegram:
    """The bot (inbox, outbox delivery, Telegram service) and the fake Telegram it talks to."""

    def __init__(self, engine: Engine, api: FakeBotApi, app: BotApp, clock: Clock) -> None:
        self.engine, self.api, self.app, self.clock = engine, api, app, clock
        self.service: TelegramService | None = None

    def settings(self, **extra: Any) -> Settings:
        values: dict[str, Any] = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "TELEGRAM_WEBHOOK_URL": None,
        }
        return Settings(_env_file=None, **(values | extra))

    async def start(self, **extra: Any) -> TelegramService:
        self.service = TelegramService(self.app, self.settings(**extra), poll_timeout=5)
        await self.service.start()
        return self.service

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
            self.service = None

    # -- waiting for what Telegram shows -------------------------------------------------------

    async def message(self, chat_id: int, contains: str = "", *, after: int = 0) -> Sent:
        """The first message to ``chat_id`` (sent after message id ``after``) containing text."""

        def found() -> Sent | None:
            return next(
                (
                    m
                    for m in self.api.messages(chat_id)
                    if m.message_id > after and contains in m.text
                ),
                None,
            )

        return await until(found, f"a message to {chat_id} containing {contains!r}")

    def last_id(self) -> int:
        return max((m.message_id for m in self.api.sent.values()), default=0)

    async def handled(self, update: dict[str, Any]) -> None:
        """Wait until the bot has taken ``update`` off the fake's queue and handled it."""
        await until(
            lambda: (
                all(u["update_id"] != update["update_id"] for u in self.api.updates)
                and self._idle()
            ),
            f"update {update['update_id']} to be handled",
        )

    def _idle(self) -> bool:
        with Session(self.engine) as session:
            due = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending")
                .where(OutboxMessage.platform == "telegram")
                .where(col(OutboxMessage.next_attempt_at) <= self.clock())
            ).first()
        return due is None

    # -- the record -----------------------------------------------------------------------------

    def incident(self, ref: str) -> Incident:
        with Session(self.engine) as session:
            found = session.exec(select(Incident).where(Incident.ref == ref)).one()
            session.expunge(found)
            return found

    def incidents(self) -> list[str]:
        with Session(self.engine) as session:
            return [i.ref for i in session.exec(select(Incident))]

    def events(self, ref: str) -> list[str]:
        with Session(self.engine) as session:
            incident = session.exec(select(Incident).where(Incident.ref == ref)).one()
            rows = session.exec(
                select(IncidentEvent)
                .where(IncidentEvent.incident_id == incident.id)
                .order_by(col(IncidentEvent.id))
            )
            return [e.kind for e in rows]

    def outbox(self) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.serve()
    yield api
    await api.close()


@pytest.fixture
async def telegram(
    sqlite_engine: Engine, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Telegram]:
    """The Telegram service started (polling) against the fake, with the test directory."""
    load_directory(sqlite_engine)
    clock = Clock(T0)
    app = BotApp(sqlite_engine, clock=clock)
    monkeypatch.setattr(app.timers, "start", lambda: None)  # tests fire timers themselves
    await app.start()
    harness = Telegram(sqlite_engine, fake_api, app, clock)
    await harness.start()
    yield harness
    await harness.stop()
    await app.stop()
