"""Outbox delivery: in order per chat, retries honouring Retry-After, parking, edits in place,
and no double sending between two deliverers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.delivery_loop import DeliveryLoop
from bot.outbox import DeliveryError, enqueue
from bot.outbox_delivery import INTERRUPTED, MAX_ATTEMPTS, deliver_due
from bot.outbox_payload import from_payload, to_payload
from handlers.types import Action, Attachment, Button, ChatRef, Choice, Prompt, Reply
from sla.db import session_scope
from sla.models import OutboxMessage

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FakeTransport:
    platform = "telegram"

    def __init__(self, failures: list[DeliveryError] | None = None) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.failures = list(failures or [])

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
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


def test_payload_is_every_field_as_json_and_rows_keep_the_order(sqlite_engine: Engine) -> None:
    """The payload names every field of a reply and its parts, holds only JSON values (it reads
    back from the database as written), and one enqueue writes its messages in order."""
    reply = Reply(
        "t",
        chat=ChatRef("slack", "C1", False),
        title="x",
        facts=(("a", "b"), ("c", "d")),
        buttons=(Button("OK", Action.ACK, "PLEK-1", "primary"), Button("?", Action.PRIORITY)),
        prompt=Prompt("q", "Q?", (Choice("a", "A"), Choice("b", "B")), "hint", True),
        key="k",
        ephemeral=True,
        alert=True,
        lang="nl",
        tags=("card", "x"),
        attachments=(Attachment("r.csv", "text/csv", b"a,b\n"),),
    )
    payload = to_payload(reply)
    assert list(payload) == [f.name for f in dataclasses.fields(Reply)]
    assert list(payload["chat"]) == [f.name for f in dataclasses.fields(ChatRef)]
    assert list(payload["buttons"][0]) == [f.name for f in dataclasses.fields(Button)]
    assert list(payload["prompt"]) == [f.name for f in dataclasses.fields(Prompt)]
    assert json.loads(json.dumps(payload)) == payload
    plain = Reply("plain", chat=ChatRef("telegram", "42"))
    assert json.loads(json.dumps(to_payload(plain))) == to_payload(plain)
    with session_scope(sqlite_engine) as session:
        written = enqueue(session, [reply, Reply("no chat"), plain, reply], T0)
    assert written == 3
    with Session(sqlite_engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [from_payload(r.payload) for r in rows] == [reply, plain, reply]
    assert [(r.platform, r.chat_id, r.status, r.attempts) for r in rows] == [
        ("slack", "C1", "pending", 0),
        ("telegram", "42", "pending", 0),
        ("slack", "C1", "pending", 0),
    ]
    assert all(r.created_at == r.next_attempt_at == T0 and r.sent_at is None for r in rows)


def test_delivers_in_order_and_edits_keyed_messages(sqlite_engine: Engine) -> None:
    """Messages go out oldest first; a second message under the same key edits the first."""
    _queue(sqlite_engine, ("1", "card v1"), key="card:PLEK-1")
    _queue(sqlite_engine, ("1", "hello"), ("2", "other chat"))
    _queue(sqlite_engine, ("1", "card v2"), key="card:PLEK-1")
    transport = FakeTransport()
    assert asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0)) == 4
    card_id = f"m{transport.sent.index(('1', 'card v1', None)) + 1}"  # the id it was given
    assert [s for s in transport.sent if s[0] == "1"] == [
        ("1", "card v1", None),
        ("1", "hello", None),
        ("1", "card v2", card_id),
    ]
    assert [s for s in transport.sent if s[0] == "2"] == [("2", "other chat", None)]


class DistantTransport(FakeTransport):
    """Each send waits until ``expected`` sends are under way together (a platform far away:
    the others start meanwhile), and notes the most that were."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.in_flight = 0
        self.most = 0
        self.full = asyncio.Event()

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self.expected:
            self.full.set()
        try:
            with contextlib.suppress(TimeoutError):  # one at a time would wait here in vain
                await asyncio.wait_for(self.full.wait(), 1.0)
            return await super().send(reply, chat, edit_id)
        finally:
            self.in_flight -= 1


def test_chats_are_sent_to_at_the_same_time_each_in_its_own_order(sqlite_engine: Engine) -> None:
    """Messages to different chats are under way together, up to the limit; a chat's own
    messages go one after the other, oldest first."""
    _queue(sqlite_engine, *[(str(chat), f"{chat}-{n}") for n in range(3) for chat in range(6)])
    transport = DistantTransport(4)
    sent = asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0, concurrency=4))
    assert sent == 18
    assert transport.most == 4
    for chat in range(6):
        mine = [text for to, text, _ in transport.sent if to == str(chat)]
        assert mine == [f"{chat}-{n}" for n in range(3)]
    one = DistantTransport(1)
    _queue(sqlite_engine, ("7", "a"), ("8", "b"))
    asyncio.run(deliver_due(sqlite_engine, {"telegram": one}, T0, concurrency=1))
    assert one.most == 1 and [text for _, text, _ in one.sent] == ["a", "b"]


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


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class SlowTransport(FakeTransport):
    """Each attempt takes 40 s of the test's clock (time-outs, say); it notes the lease each
    message was sent under. Chats in ``limited`` answer 429 with Retry-After 30 s."""

    def __init__(self, engine: Engine, clock: Clock, limited: set[str]) -> None:
        super().__init__()
        self.engine, self.clock, self.limited = engine, clock, limited
        self.leases: list[tuple[datetime, datetime]] = []  # (when sending, locked until)

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        with Session(self.engine) as session:
            row = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat.id)
                .where(OutboxMessage.status == "pending")
                .order_by(col(OutboxMessage.id))
            ).first()
        assert row is not None and row.locked_until is not None
        self.leases.append((self.clock(), row.locked_until))
        self.clock.now += timedelta(seconds=40)
        if chat.id in self.limited:
            raise DeliveryError("429", retry_after=30)
        return await super().send(reply, chat, edit_id)


def test_a_long_batch_leases_and_retries_from_the_moment_of_each_attempt(
    sqlite_engine: Engine,
) -> None:
    """Slow sends do not age a batch: each message is leased when it is sent (the lease never
    runs out while it is being sent), and a 429 met 160 s into the batch is waited out from
    then, not from the batch's start."""
    _queue(sqlite_engine, *[(str(chat), f"to {chat}") for chat in range(4)])
    clock = Clock(T0)
    transport = SlowTransport(sqlite_engine, clock, limited={"3"})
    # One chat at a time, so that the batch is long: each send takes the clock 40 s on.
    loop = DeliveryLoop(sqlite_engine, {"telegram": transport}, clock, concurrency=1)
    asyncio.run(loop.drain())
    assert [chat for chat, _, _ in transport.sent] == ["0", "1", "2"]
    assert len(transport.leases) == 4
    assert all(locked > sending for sending, locked in transport.leases)
    with Session(sqlite_engine) as session:
        limited = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "3")).one()
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "2")).one()
    assert limited.next_attempt_at == T0 + timedelta(seconds=160 + 30)
    assert sent.sent_at == T0 + timedelta(seconds=120)


class Killed(BaseException):
    """The process dies in the middle of a send: nothing after it runs."""


class DyingTransport(FakeTransport):
    """Dies while sending to chat 1; the other chats' sends under way meanwhile get through."""

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        if chat.id == "1":
            raise Killed
        return await super().send(reply, chat, edit_id)


def test_a_send_cut_off_by_a_crash_is_sent_again_after_the_lease_and_marked(
    sqlite_engine: Engine,
) -> None:
    """A sender killed mid-send leaves its lease behind: the chat waits (in order) until the
    lease runs out, then the message goes again, marked as possibly doubled: the platform may
    have taken the first attempt, and it has no idempotency key to ask."""
    _queue(sqlite_engine, ("1", "first"), ("1", "second"), ("2", "elsewhere"))
    lease = timedelta(seconds=5)
    dying = DyingTransport()
    with contextlib.suppress(Killed):
        asyncio.run(deliver_due(sqlite_engine, {"telegram": dying}, T0, lease=lease))
    assert dying.sent == [("2", "elsewhere", None)]  # under way at the same time
    transport = FakeTransport()
    asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, T0 + lease, lease=lease))
    assert transport.sent == []  # the chat waits out the dead sender's lease, in order
    later = T0 + lease + timedelta(seconds=1)
    asyncio.run(deliver_due(sqlite_engine, {"telegram": transport}, later, lease=lease))
    assert [t for _, t, _ in transport.sent] == ["first", "second"]
    with Session(sqlite_engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [(r.status, r.last_error) for r in rows] == [
        ("sent", INTERRUPTED),
        ("sent", None),
        ("sent", None),
    ]
