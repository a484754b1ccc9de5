"""Outbox delivery: in order per chat, retries honouring Retry-After, parking, edits in place,
and no double sending between two deliverers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.outbox import MAX_ATTEMPTS, DeliveryError, deliver_due, enqueue, from_payload, to_payload
from handlers.types import Action, Attachment, Button, ChatRef, Choice, Prompt, Reply
from sla.db import session_scope
from sla.models import OutboxMessage

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FakeTransport:
    platform = "telegram"

    def __init__(self, failures: list[DeliveryError] | None = None) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.failures = list(failures or [])

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat.id, reply.text, edit_id))
        return f"m{len(self.sent)}"


def _queue(engine: Engine, *items: tuple[str, str], key: str | None = None) -> None:
    with session_scope(engine) as session:
        enqueue(
            session,
            [Reply(text, chat=ChatRef("telegram", chat), key=key) for chat, text in items],
            T0,
        )


def _statuses(engine: Engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(r.status, r.attempts) for r in rows]


def test_payload_round_trip() -> None:
    """A reply survives the trip through the outbox's JSON unchanged."""
    reply = Reply(
        "t",
        chat=ChatRef("slack", "C1", False),
        title="x",
        facts=(("a", "b"),),
        buttons=(Button("OK", Action.ACK, "PLEK-1", "primary"),),
        prompt=Prompt("q", "Q?", (Choice("a", "A"),), "hint", True),
        key="k",
        lang="nl",
        tags=("card",),
        attachments=(Attachment("r.csv", "text/csv", b"a,b\n"),),
    )
    assert from_payload(to_payload(reply)) == reply


def test_delivers_in_order_and_edits_keyed_messages(sqlite_engine: Engine) -> None:
    """Messages go out oldest first; a second message under the same key edits the first."""
    _queue(sqlite_engine, ("1", "card v1"), key="card:PLEK-1")
    _queue(sqlite_engine, ("1", "hello"), ("2", "other chat"))
    _queue(sqlite_engine, ("1", "card v2"), key="card:PLEK-1")
    transport = FakeTransport()
    assert asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0)) == 4
    assert transport.sent == [
        ("1", "card v1", None),
        ("1", "hello", None),
        ("2", "other chat", None),
        ("1", "card v2", "m1"),
    ]


def test_retry_after_holds_the_chat_and_keeps_order(sqlite_engine: Engine) -> None:
    """A 429 holds that chat (later messages wait) until Retry-After has passed."""
    _queue(sqlite_engine, ("1", "first"), ("1", "second"), ("2", "elsewhere"))
    transport = FakeTransport([DeliveryError("429", retry_after=30)])
    asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0))
    assert transport.sent == [("2", "elsewhere", None)]
    asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0 + timedelta(seconds=29)))
    assert len(transport.sent) == 1
    asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0 + timedelta(seconds=30)))
    assert [t for _, t, _ in transport.sent] == ["elsewhere", "first", "second"]


def test_message_that_keeps_failing_is_parked_not_dropped(sqlite_engine: Engine) -> None:
    """After the last attempt the message is parked with its error; permanent errors at once."""
    _queue(sqlite_engine, ("1", "doomed"))
    failures = [DeliveryError("boom") for _ in range(MAX_ATTEMPTS)]
    transport = FakeTransport(failures)
    now = T0
    for _ in range(MAX_ATTEMPTS + 1):
        asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, now))
        now += timedelta(hours=1)
    assert _statuses(sqlite_engine)[0] == ("parked", MAX_ATTEMPTS)
    _queue(sqlite_engine, ("3", "forbidden"))
    gone = FakeTransport([DeliveryError("blocked", permanent=True)])
    asyncio.run(deliver_due(sqlite_engine, {"telegram": gone}, now))
    assert _statuses(sqlite_engine)[-1] == ("parked", 1)


def test_two_deliverers_never_send_one_message_twice(engine: Engine) -> None:
    """Concurrent deliverers (replicas) share the work; each message is sent once."""
    for chat in range(20):
        _queue(engine, *[(str(chat), f"{chat}-{n}") for n in range(5)])
    first, second = FakeTransport(), FakeTransport()

    async def both() -> None:
        await asyncio.gather(
            deliver_due(engine, {"telegram": first}, T0),
            deliver_due(engine, {"telegram": second}, T0),
        )

    for _ in range(10):
        asyncio.run(both())
    texts = [t for _, t, _ in first.sent + second.sent]
    assert sorted(texts) == sorted(f"{c}-{n}" for c in range(20) for n in range(5))
    for sent in (first.sent, second.sent):
        per_chat: dict[str, list[int]] = {}
        for chat, text, _ in sent:
            per_chat.setdefault(chat, []).append(int(text.split("-")[1]))
        assert all(numbers == sorted(numbers) for numbers in per_chat.values())
