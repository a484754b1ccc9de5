"""Slack deliveries through the outbox and the real transport (slack_sdk's ``AsyncWebClient``
over HTTP, configured as the adapter configures it) while the fake Web API fails 30 % of the
calls: server errors (JSON 500/503, an HTML 502 from a load balancer), rate limits (429 with a
``Retry-After`` header) and answers that never come before the client's time-out (issue #8).

The clock is the test's, running 50 times as fast as real time, so back-off and Retry-After pass
quickly; the client's time-out is real (0.3 s). The fake checks on the same clock that no
conversation is written to before its Retry-After is over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import cast

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.outbox import enqueue
from bot.outbox_delivery import ARRIVED
from bot.slack.transport import EPHEMERAL_SEPARATOR, SlackTransport, ephemeral_chat
from handlers.types import Action, Button, ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage
from tests.bot.chaos import Chaos, FastClock, Kind, deliver_everything
from tests.bot.slack.conftest import START
from tests.bot.slack.fake_slack import TOKEN, Failure, FakeSlack

TIMEOUT = 0.3  # the client's time-out, in real seconds
CHANNELS = ["CSUPPORT", "CACME", "CBETA", "CGAMMA"]
PEOPLE = ["UANNA", "UBRAM", "ULISA"]
EPHEMERAL = [ephemeral_chat("CACME", "UBRAM"), ephemeral_chat("CBETA", "UANNA")]
METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})


@pytest.fixture
def clock() -> FastClock:
    return FastClock(START, speed=50)


@pytest.fixture
def transport(sqlite_engine: Engine, fake: FakeSlack, clock: FastClock) -> Iterator[SlackTransport]:
    # As the adapter's delivery client: connection errors retried once, 429s left to the outbox.
    # slack_sdk annotates the time-out as int; aiohttp takes any number of seconds.
    client = AsyncWebClient(
        token=TOKEN,
        base_url=fake.base + "/api/",
        timeout=cast(int, TIMEOUT),
        retry_handlers=[AsyncConnectionErrorRetryHandler()],
    )
    yield SlackTransport(client, sqlite_engine, clock)


def conversation(chat: str) -> str:
    """Where the fake shows a chat's messages (a DM to a user is the D… conversation)."""
    return "D" + chat[1:] if chat.startswith("U") else chat


def queue_traffic(engine: Engine, per_chat: int) -> dict[str, list[str]]:
    """``per_chat`` numbered messages to each channel, person and ephemeral chat, and in each
    channel a card edited twice on the way; returns the texts each conversation shows, in
    order (a card where it was first posted, with its last version)."""
    expected: dict[str, list[str]] = {}
    versions = (0, per_chat // 2, per_chat - 1)
    with session_scope(engine) as session:
        for n in range(per_chat):
            for chat in CHANNELS + PEOPLE + EPHEMERAL:
                target = ChatRef("slack", chat, private=not chat.startswith("C"))
                shown = expected.setdefault(conversation(chat), [])
                if chat in CHANNELS and n in versions:
                    version = versions.index(n) + 1
                    card = Reply(
                        f"Card of {chat}, version {version}",
                        buttons=(Button("Acknowledge", Action.ACK, f"PLEK-{chat}"),),
                        key=f"card:{chat}",
                        chat=target,
                    )
                    enqueue(session, [card], START)
                    if version == 1:
                        shown.append(f"Card of {chat}, version 3")
                text = f"message {n} to {chat}"
                enqueue(session, [Reply(text, chat=target)], START)
                shown.append(text)
    return expected


def shown_in(fake: FakeSlack) -> dict[str, list[str]]:
    """Each conversation's messages as people see them now (cards with their edits)."""
    shown: dict[str, list[str]] = {}
    for where, ts, text in fake.posted:
        current = fake.messages.get((where, ts), {}).get("text", text)
        shown.setdefault(where, []).append(str(current))
    return shown


def outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)))


async def test_every_message_once_and_in_order_while_30_percent_of_calls_fail(
    sqlite_engine: Engine, fake: FakeSlack, transport: SlackTransport, clock: FastClock
) -> None:
    """Posts, card edits and ephemeral messages to nine conversations while 30 % of the calls
    fail before Slack acted: each arrives exactly once, in order per conversation, and none is
    written to before its Retry-After is over, however long the batch it failed in took."""
    fake.chaos = Chaos(seed=8, methods=METHODS, clock=clock, hold=4 * TIMEOUT, retry_after=(2, 10))
    expected = queue_traffic(sqlite_engine, per_chat=10)
    await deliver_everything(sqlite_engine, transport, clock)
    chaos = fake.chaos
    assert {row.status for row in outbox(sqlite_engine)} == {"sent"}
    assert shown_in(fake) == expected
    for channel in CHANNELS:
        edits = [c for c in fake.to("chat.update") if c["channel"] == channel]
        assert {c["text"] for c in edits} == {f"Card of {channel}, version {v}" for v in (2, 3)}
    assert chaos.early == []  # Retry-After honoured, to the second
    assert fake.unanswered == []
    assert set(chaos.faults) == {"5xx", "429", "timeout"}
    assert sum(chaos.faults.values()) >= 0.2 * chaos.calls, (chaos.faults, chaos.calls)


async def test_an_answer_lost_after_slack_acted_is_found_not_posted_again(
    sqlite_engine: Engine, fake: FakeSlack, transport: SlackTransport, clock: FastClock
) -> None:
    """The ambiguous case: a time-out after Slack took the message. Before it posts again the
    outbox looks for the message's tag in the conversation's history (which fails twice: the
    look is tried again later, never skipped): a post that arrived is marked sent, not
    doubled. Only a message one person sees can appear twice, right after itself: Slack keeps
    no history of those. Nothing is lost and the order per conversation holds."""
    fake.clock = clock
    late: tuple[Kind, ...] = ("late",)
    fake.chaos = Chaos(seed=3, methods=METHODS, rate=0.15, kinds=late, clock=clock)
    fake.chaos.hold = 4 * TIMEOUT
    history_fails = Failure(500, "internal_error"), Failure(429, "ratelimited", 3)
    fake.fail("conversations.history", *history_fails)
    expected = queue_traffic(sqlite_engine, per_chat=5)
    await deliver_everything(sqlite_engine, transport, clock)
    lost = Counter(call.method for call in fake.unanswered)
    assert lost["chat.postMessage"], lost
    assert len(fake.to("conversations.history")) > 2  # looked, and again after each failure
    rows = outbox(sqlite_engine)
    assert {row.status for row in rows} == {"sent"}
    # Each lost post was found: one row per lost post says so (a lost edit is made again).
    found = [row for row in rows if row.last_error == ARRIVED]
    lost_posts = [c for c in fake.unanswered if c.method == "chat.postMessage"]
    assert len(found) == len(lost_posts)
    assert sorted(str(row.id) for row in found) == sorted(
        c.args["metadata"]["event_payload"]["id"] for c in lost_posts
    )
    extra = 0
    for where, texts in shown_in(fake).items():
        once = [t for i, t in enumerate(texts) if i == 0 or texts[i - 1] != t]
        assert once == expected[where], where
        if EPHEMERAL_SEPARATOR not in where:
            assert texts == expected[where], where  # no post doubled, no card left behind
        extra += len(texts) - len(once)
    assert extra == lost["chat.postEphemeral"]
