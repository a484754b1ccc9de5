"""Telegram deliveries through the outbox and the real transport (PTB's ``Bot`` over HTTP)
while the fake Bot API fails 30 % of the calls: server errors (JSON 500/503, an HTML 502 from a
proxy), flood control (429 with ``parameters.retry_after``) and answers that never come before
the client's time-out (issue #8).

The clock is the test's, running 50 times as fast as real time, so back-off and flood waits pass
quickly; the client's time-out is real (0.3 s). The fake checks on the same clock that no chat is
written to before its flood wait is over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import Bot

from bot.outbox import enqueue
from bot.telegram import AiohttpRequest, TelegramTransport
from handlers.types import Action, Button, ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage
from tests.bot.chaos import Chaos, FastClock, Kind, deliver_everything
from tests.bot.telegram.conftest import T0
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi

TIMEOUT = 0.3  # the client's read time-out, in real seconds
PEOPLE = [3001, 3002, 3003, 3004, 3005]
GROUPS = [-4001, -4002, -4003, -4004, -4005]
METHODS = frozenset({"sendMessage", "editMessageText"})
# PTB's own: RetryAfter.retry_after will become a timedelta (bot.telegram handles both).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def clock() -> FastClock:
    return FastClock(T0, speed=50)


@pytest.fixture
async def flaky_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.serve()
    yield api
    await api.close()


@pytest.fixture
async def transport(
    sqlite_engine: Engine, flaky_api: FakeBotApi, clock: FastClock
) -> AsyncIterator[TelegramTransport]:
    request = AiohttpRequest(read_timeout=TIMEOUT, write_timeout=TIMEOUT, connect_timeout=TIMEOUT)
    bot = Bot(TOKEN, base_url=f"{flaky_api.base_url}/bot", request=request)
    await bot.initialize()
    yield TelegramTransport(bot, sqlite_engine, clock=clock)
    await bot.shutdown()


def card(group: int, version: int) -> Reply:
    return Reply(
        f"Card of {group}, version {version}",
        buttons=(Button("Acknowledge", Action.ACK, f"PLEK-{-group}"),),
        key=f"card:{group}",
    )


def queue_traffic(engine: Engine, per_chat: int) -> dict[int, list[str]]:
    """``per_chat`` numbered messages to each person and group, and in each group a card that
    is edited twice on the way; returns the texts each chat should show, in order."""
    expected: dict[int, list[str]] = {}
    with session_scope(engine) as session:
        for n in range(per_chat):
            for chat in PEOPLE + GROUPS:
                replies = []
                if chat in GROUPS and n in (0, per_chat // 2, per_chat - 1):
                    version = (0, per_chat // 2, per_chat - 1).index(n) + 1
                    replies.append(card(chat, version))
                    if version == 1:
                        expected.setdefault(chat, []).append(f"Card of {chat}, version 3")
                text = f"message {n} to {chat}"
                replies.append(Reply(text))
                expected.setdefault(chat, []).append(text)
                target = ChatRef("telegram", str(chat), private=chat > 0)
                enqueue(session, [replace(r, chat=target) for r in replies], T0)
    return expected


def outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)))


async def test_every_message_once_and_in_order_while_30_percent_of_calls_fail(
    sqlite_engine: Engine, flaky_api: FakeBotApi, transport: TelegramTransport, clock: FastClock
) -> None:
    """120 messages to ten chats (cards edited in place among them) while 30 % of the calls
    fail before Telegram acted: each arrives exactly once, in order per chat, and no chat is
    written to before its flood wait is over, however long the batch it failed in took."""
    flaky_api.chaos = Chaos(
        seed=8, methods=METHODS, clock=clock, hold=4 * TIMEOUT, retry_after=(2, 10)
    )
    expected = queue_traffic(sqlite_engine, per_chat=12)
    await deliver_everything(sqlite_engine, transport, clock)
    chaos = flaky_api.chaos
    assert {row.status for row in outbox(sqlite_engine)} == {"sent"}
    for chat, texts in expected.items():
        shown = [m.text for m in flaky_api.messages(chat)]
        assert shown == texts, chat
    for group in GROUPS:
        [edited] = [m for m in flaky_api.messages(group) if m.text.startswith("Card")]
        assert edited.edits == 2
    assert chaos.early == []  # flood waits honoured, to the second
    assert flaky_api.unanswered == []
    assert set(chaos.faults) == {"5xx", "429", "timeout"}
    assert sum(chaos.faults.values()) >= 0.2 * chaos.calls, (chaos.faults, chaos.calls)


async def test_an_answer_lost_after_telegram_acted_doubles_that_message_only(
    sqlite_engine: Engine, flaky_api: FakeBotApi, transport: TelegramTransport, clock: FastClock
) -> None:
    """The ambiguous case, measured: a time-out after Telegram took the message. The outbox
    cannot know and sends it again (Telegram has no idempotency key), so exactly those messages
    appear twice, each right after itself; an edit repeated is harmless ("not modified"). No
    message is lost and the order per chat holds."""
    late: tuple[Kind, ...] = ("late",)
    flaky_api.chaos = Chaos(seed=3, methods=METHODS, rate=0.1, kinds=late, clock=clock)
    flaky_api.chaos.hold = 4 * TIMEOUT
    expected = queue_traffic(sqlite_engine, per_chat=6)
    await deliver_everything(sqlite_engine, transport, clock)
    doubled = [p for method, p in flaky_api.unanswered if method == "sendMessage"]
    assert doubled, "some answers were lost after the effect"
    assert {row.status for row in outbox(sqlite_engine)} == {"sent"}
    extra = 0
    for chat, texts in expected.items():
        # A doubled card: the first copy keeps its first version, the edits go to the second.
        shown = [card_or(m.text) for m in flaky_api.messages(chat)]
        once = [t for i, t in enumerate(shown) if i == 0 or shown[i - 1] != t]
        assert once == [card_or(t) for t in texts], chat
        extra += len(shown) - len(once)
    assert extra == len(doubled)
    for group in GROUPS:
        cards = [m for m in flaky_api.messages(group) if m.text.startswith("Card")]
        assert cards[-1].text == f"Card of {group}, version 3"


def card_or(text: str) -> str:
    return "a card" if text.startswith("Card") else text
