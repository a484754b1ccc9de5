"""The outbox against a platform that fails 30 % of calls (server errors, 429 with
Retry-After, time-outs before the message is taken): every message arrives exactly once, and
in order per chat."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.outbox import DeliveryError, enqueue
from bot.outbox_delivery import deliver_due
from handlers.types import ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FlakyPlatform:
    platform = "telegram"

    def __init__(self, seed: int, failure_rate: float = 0.3) -> None:
        self.random = random.Random(seed)
        self.failure_rate = failure_rate
        self.received: dict[str, list[str]] = {}
        self.calls = 0

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        self.calls += 1
        if self.random.random() < self.failure_rate:
            kind = self.random.choice(["5xx", "429", "timeout"])
            if kind == "429":
                raise DeliveryError("429 Too Many Requests", retry_after=self.random.randint(1, 5))
            raise DeliveryError(f"{kind} from the platform")
        self.received.setdefault(chat.id, []).append(reply.text)
        return str(self.calls)


def test_every_message_once_and_in_order_under_30_percent_failures(engine: Engine) -> None:
    """500 messages to 25 chats through a platform failing 30 % of calls, on both engines."""
    with session_scope(engine) as session:
        for number in range(500):
            chat = ChatRef("telegram", f"chat-{number % 25}")
            enqueue(session, [Reply(f"{number:03d}", chat=chat)], T0)
    platform = FlakyPlatform(seed=7)
    now = T0
    for _ in range(400):
        asyncio.run(deliver_due(engine, {"telegram": platform}, now))
        now += timedelta(seconds=5)
        with Session(engine) as session:
            if not session.exec(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            ).first():
                break
    with Session(engine) as session:
        statuses = {r.status for r in session.exec(select(OutboxMessage))}
        failures = sum(r.attempts - 1 for r in session.exec(select(OutboxMessage)))
    assert statuses == {"sent"}
    assert failures > 100, "the platform really did fail often"
    for chat, texts in platform.received.items():
        expected = [f"{n:03d}" for n in range(500) if f"chat-{n % 25}" == chat]
        assert texts == expected
    assert sum(len(t) for t in platform.received.values()) == 500
    with Session(engine) as session:
        assert (
            session.exec(select(OutboxMessage).where(col(OutboxMessage.attempts) > 15)).all() == []
        )
