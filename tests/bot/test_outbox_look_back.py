"""After an attempt that ended without an answer, the outbox looks for the message before it
sends it again (on platforms that can say): a message that arrived is marked sent, not doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.metrics import DELIVERY_INTERRUPTED
from bot.outbox import DeliveryError, NotKnown, enqueue
from bot.outbox_delivery import ARRIVED, INTERRUPTED, NOT_ARRIVED, deliver_due
from handlers.types import ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage
from tests.bot.test_outbox import T0, Killed

LEASE = timedelta(seconds=5)
AFTER_LEASE = T0 + LEASE + timedelta(seconds=1)


class Platform:
    """What the chat platform holds: each message under the tag it was sent with."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []  # chat, text, tag

    def take(self, chat: ChatRef, reply: Reply, tag: str) -> str:
        self.messages.append((chat.id, reply.text, tag))
        return f"m{len(self.messages)}"


class LookingTransport:
    """Sends to a :class:`Platform` and finds messages there by tag.

    ``die`` kills the process at the first send to that chat, ``"before"`` or ``"after"`` the
    platform took the message; ``failures`` fail sends, ``look_failures`` fail looks, in turn.
    """

    platform = "slack"

    def __init__(
        self,
        held: Platform,
        *,
        die: tuple[str, str] | None = None,
        failures: list[DeliveryError] | None = None,
        look_failures: list[Exception] | None = None,
    ) -> None:
        self.held, self.die = held, die
        self.failures = list(failures or [])
        self.look_failures = list(look_failures or [])
        self.looked: list[str] = []
        self.sends = 0

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        self.sends += 1
        if self.die and self.die[0] == chat.id and self.die[1] == "before":
            raise Killed
        if self.failures:
            error = self.failures.pop(0)
            if error.maybe_sent:
                self.held.take(chat, reply, tag)  # it arrived; the answer did not
            raise error
        message_id = self.held.take(chat, reply, tag)
        if self.die and self.die[0] == chat.id:
            raise Killed
        return message_id

    async def find_sent(self, reply: Reply, chat: ChatRef, tag: str, since: datetime) -> str | None:
        self.looked.append(tag)
        if self.look_failures:
            raise self.look_failures.pop(0)
        for n, (_, _, held_tag) in enumerate(self.held.messages, start=1):
            if held_tag == tag:
                return f"m{n}"
        return None


def _queue(engine: Engine, *items: tuple[str, str], key: str | None = None) -> None:
    with session_scope(engine) as session:
        replies = [Reply(text, chat=ChatRef("slack", chat), key=key) for chat, text in items]
        enqueue(session, replies, T0)


def _rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def _deliver(engine: Engine, transport: LookingTransport, at: datetime) -> int:
    return asyncio.run(deliver_due(engine, {"slack": transport}, at, lease=LEASE))


def _crash(engine: Engine, held: Platform, when: str) -> None:
    with contextlib.suppress(Killed):
        _deliver(engine, LookingTransport(held, die=("C1", when)), T0)


def _interrupted() -> float:
    return DELIVERY_INTERRUPTED.labels("slack")._value.get()


def test_a_message_that_arrived_before_the_crash_is_found_not_sent_again(
    sqlite_engine: Engine,
) -> None:
    """Killed after the platform took the message: the restarted sender finds it by its tag
    and marks it sent with the platform's id; the chat's next message follows once."""
    _queue(sqlite_engine, ("C1", "first"), ("C1", "second"))
    held = Platform()
    _crash(sqlite_engine, held, "after")
    before = _interrupted()
    transport = LookingTransport(held)
    assert _deliver(sqlite_engine, transport, AFTER_LEASE) == 2
    first, second = _rows(sqlite_engine)
    assert [text for _, text, _ in held.messages] == ["first", "second"]
    assert transport.looked == [str(first.id)]  # only the interrupted one is looked for
    assert (first.status, first.last_error, first.attempts) == ("sent", ARRIVED, 1)
    assert (second.status, second.last_error) == ("sent", None)
    assert _interrupted() == before  # nothing was sent twice


def test_a_message_that_did_not_arrive_is_sent_once(sqlite_engine: Engine) -> None:
    """Killed before the platform took it: not found, so sent, and known to be sent once."""
    _queue(sqlite_engine, ("C1", "first"))
    held = Platform()
    _crash(sqlite_engine, held, "before")
    before = _interrupted()
    _deliver(sqlite_engine, LookingTransport(held), AFTER_LEASE)
    [row] = _rows(sqlite_engine)
    assert [text for _, text, _ in held.messages] == ["first"]
    assert (row.status, row.last_error) == ("sent", NOT_ARRIVED)
    assert _interrupted() == before


def test_where_the_platform_cannot_say_the_message_is_sent_again_and_marked(
    sqlite_engine: Engine,
) -> None:
    """A message only one person sees, on Slack: not findable, so at least once."""
    _queue(sqlite_engine, ("C1", "first"))
    held = Platform()
    _crash(sqlite_engine, held, "after")
    before = _interrupted()
    cannot_say = LookingTransport(held, look_failures=[NotKnown("ephemeral")])
    _deliver(sqlite_engine, cannot_say, AFTER_LEASE)
    [row] = _rows(sqlite_engine)
    assert [text for _, text, _ in held.messages] == ["first", "first"]
    assert (row.status, row.last_error) == ("sent", INTERRUPTED)
    assert _interrupted() == before + 1


def test_a_time_out_makes_the_next_attempt_look_first(sqlite_engine: Engine) -> None:
    """No answer in time (the platform took it): the row remembers that, and the retry finds
    the message instead of posting it again. A failure that says nothing arrived does not."""
    _queue(sqlite_engine, ("C1", "timed out"), ("C2", "refused"))
    held = Platform()
    failures = [
        DeliveryError("no answer in time", maybe_sent=True),
        DeliveryError("Slack failed: 503"),
    ]
    transport = LookingTransport(held, failures=failures)
    _deliver(sqlite_engine, transport, T0)
    timed_out, refused = _rows(sqlite_engine)
    assert timed_out.maybe_sent_at == T0 and refused.maybe_sent_at is None
    retry = LookingTransport(held)
    _deliver(sqlite_engine, retry, T0 + timedelta(minutes=1))
    assert retry.looked == [str(timed_out.id)]
    assert [text for _, text, _ in held.messages] == ["timed out", "refused"]
    assert [(r.status, r.last_error) for r in _rows(sqlite_engine)] == [
        ("sent", ARRIVED),
        ("sent", "Slack failed: 503"),  # the last error is kept, as with any retry
    ]


def test_a_look_that_fails_is_tried_again_never_skipped(sqlite_engine: Engine) -> None:
    """Slack rate-limits the look: the message waits its Retry-After and is looked for
    again, not sent blindly."""
    _queue(sqlite_engine, ("C1", "first"))
    held = Platform()
    _crash(sqlite_engine, held, "after")
    limited = LookingTransport(held, look_failures=[DeliveryError("limited", retry_after=30)])
    assert _deliver(sqlite_engine, limited, AFTER_LEASE) == 0
    [row] = _rows(sqlite_engine)
    assert row.next_attempt_at == AFTER_LEASE + timedelta(seconds=30)
    again = LookingTransport(held)
    _deliver(sqlite_engine, again, row.next_attempt_at)
    assert again.looked == [str(row.id)] and again.sends == 0
    assert [text for _, text, _ in held.messages] == ["first"]
    assert _rows(sqlite_engine)[0].last_error == ARRIVED


def test_an_edit_is_made_again_without_looking(sqlite_engine: Engine) -> None:
    """Editing a card twice to the same text changes nothing, so an edit is not looked for."""
    _queue(sqlite_engine, ("C1", "card v1"), key="card")
    held = Platform()
    _deliver(sqlite_engine, LookingTransport(held), T0)
    _queue(sqlite_engine, ("C1", "card v2"), key="card")
    with contextlib.suppress(Killed):
        _deliver(sqlite_engine, LookingTransport(held, die=("C1", "after")), T0)
    transport = LookingTransport(held)
    _deliver(sqlite_engine, transport, AFTER_LEASE)
    assert transport.looked == [] and transport.sends == 1
