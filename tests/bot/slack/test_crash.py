"""``slabot run`` on Slack, killed (SIGKILL) the instant Slack took a message and before the bot
heard so: the restarted bot looks the message up by its outbox id and does not post it again
(issue #8). The bot is a real process in HTTP mode; Slack is the local fake."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from bot.database import open_database
from bot.outbox import enqueue
from bot.outbox_delivery import ARRIVED, INTERRUPTED
from handlers.types import ChatRef, Reply
from sla.db import session_scope
from sla.models import OutboxMessage
from tests.bot.burst import BotProcess, free_port
from tests.bot.slack.conftest import PEOPLE, SECRET
from tests.bot.slack.fake_slack import TOKEN, Call, FakeSlack

CHATS = {"CSUPPORT": "CSUPPORT", "UANNA": "DANNA", "UBRAM": "DBRAM"}  # outbox chat -> shown in
ROOT = Path(__file__).parents[3]


async def test_a_post_slack_took_before_the_kill_is_not_posted_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    engine = open_database(url)
    with session_scope(engine) as session:
        replies = [
            Reply(f"message {n} to {chat}", chat=ChatRef("slack", chat, chat.startswith("U")))
            for n in range(3)
            for chat in CHATS
        ]
        enqueue(session, replies, datetime.now(UTC))
    fake = FakeSlack(users=dict(PEOPLE))
    await fake.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))},
        "SLABOT_DATABASE_URL": url,
        "SLABOT_HEALTH_HOST": "127.0.0.1",
        "SLABOT_HEALTH_PORT": str(free_port()),
        "SLABOT_OUTBOX_LEASE_SECONDS": "2",
        "SLABOT_LOG_LEVEL": "WARNING",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base + "/api/",
        "SLACK_HTTP_HOST": "127.0.0.1",
        "SLACK_HTTP_PORT": str(free_port()),
        "PYTHONPATH": str(ROOT),
    }
    bot = BotProcess(env, tmp_path, tmp_path / "bot.log")
    killed: list[Call] = []

    def kill_at_first_post(call: Call) -> None:
        if call.method == "chat.postMessage" and not killed:
            bot.kill()
            killed.append(call)

    fake.on_effect = kill_at_first_post
    try:
        bot.start()
        await _until(lambda: bool(killed), 30, bot)
        await asyncio.to_thread(bot.reap)
        bot.start()
        await _until(lambda: _all_sent(engine), 30, bot)
        assert await asyncio.to_thread(bot.stop) == 0, bot.tail()
    finally:
        bot.kill()
        await fake.stop()
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    taken = killed[0].args["metadata"]["event_payload"]["id"]
    notes = {str(row.id): row.last_error for row in rows}
    assert notes[taken] == ARRIVED, bot.tail()
    assert INTERRUPTED not in notes.values()
    assert fake.to("conversations.history"), "the restarted bot looked"
    assert "slack_bolt" not in bot.tail(200), "no warning from bolt at start"
    for chat, shown_in in CHATS.items():
        shown = [text for where, _, text in fake.posted if where == shown_in]
        assert shown == [f"message {n} to {chat}" for n in range(3)], shown


def _all_sent(engine: object) -> bool:
    with Session(engine) as session:  # type: ignore[arg-type]
        statuses = session.exec(select(OutboxMessage.status)).all()
    return set(statuses) == {"sent"}


async def _until(condition: object, timeout: float, bot: BotProcess) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(condition):  # type: ignore[arg-type]
        assert asyncio.get_running_loop().time() < deadline, bot.tail()
        await asyncio.sleep(0.05)
