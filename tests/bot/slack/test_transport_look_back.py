"""Slack after an attempt without an answer: each post carries its outbox row's id as message
metadata, and ``find_sent`` reads the conversation's history for it before posting again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import cast

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from bot.outbox import DeliveryError, NotKnown
from bot.slack.transport import (
    HISTORY_PAGE,
    OUTBOX_EVENT,
    SlackTransport,
    ephemeral_chat,
)
from handlers.types import Attachment, ChatRef, Reply
from tests.bot.slack.conftest import START
from tests.bot.slack.fake_slack import TOKEN, Failure, FakeSlack

CHANNEL = ChatRef("slack", "CSUPPORT", False)
PERSON = ChatRef("slack", "UANNA", True)


@pytest.fixture
async def transport(sqlite_engine: Engine, fake: FakeSlack) -> AsyncIterator[SlackTransport]:
    fake.clock = lambda: START
    client = AsyncWebClient(token=TOKEN, base_url=fake.base + "/api/", retry_handlers=[])
    yield SlackTransport(client, sqlite_engine, clock=lambda: START)


async def test_a_post_carries_its_tag_and_is_found_by_it(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """The tag rides along as metadata; the look finds exactly that message, not a neighbour
    with the same text, and nothing under a tag never sent."""
    await transport.send(Reply("Same text"), CHANNEL, None, tag="41")
    posted = await transport.send(Reply("Same text"), CHANNEL, None, tag="42")
    [_, call] = fake.sent_to("CSUPPORT")
    assert call["metadata"] == {"event_type": OUTBOX_EVENT, "event_payload": {"id": "42"}}
    since = START - timedelta(seconds=1)
    assert await transport.find_sent(Reply("Same text"), CHANNEL, "42", since) == posted
    assert await transport.find_sent(Reply("Same text"), CHANNEL, "43", since) is None
    [history, *_] = fake.to("conversations.history")
    assert str(history["include_all_metadata"]).lower() in ("1", "true")
    # From a while before the row was written (clocks differ), not from the beginning.
    assert float(history["oldest"]) < since.timestamp()
    assert float(history["oldest"]) > (since - timedelta(hours=1)).timestamp()


async def test_a_direct_message_is_looked_for_in_the_dm_conversation(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """A DM is addressed by user id; its history is the D… conversation."""
    posted = await transport.send(Reply("PLEK-1 is filed"), PERSON, None, tag="7")
    found = await transport.find_sent(Reply("PLEK-1 is filed"), PERSON, "7", START)
    assert found == posted and found.startswith("DANNA:")
    assert fake.to("conversations.history")[0]["channel"] == "DANNA"


async def test_the_look_pages_through_a_busy_channel(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """The message is older than a page of newer ones: the look follows the cursor."""
    posted = await transport.send(Reply("ours"), CHANNEL, None, tag="1")
    for n in range(HISTORY_PAGE + 5):
        await transport.send(Reply(f"later {n}"), CHANNEL, None, tag=str(1000 + n))
    assert await transport.find_sent(Reply("ours"), CHANNEL, "1", START) == posted
    assert len(fake.to("conversations.history")) == 2


async def test_what_slack_cannot_show_is_not_known(transport: SlackTransport) -> None:
    """Messages one person sees and file shares keep no metadata; neither is looked for."""
    only_anna = ChatRef("slack", ephemeral_chat("CSUPPORT", "UANNA"), False)
    with pytest.raises(NotKnown):
        await transport.find_sent(Reply("x"), only_anna, "1", START)
    report = Reply("report", attachments=(Attachment("r.csv", "text/csv", b"a,b\n"),))
    with pytest.raises(NotKnown):
        await transport.find_sent(report, CHANNEL, "1", START)


async def test_an_app_without_the_history_scopes_cannot_say(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """Installed from an older manifest: missing_scope, so the outbox sends again."""
    fake.history_error = "missing_scope"
    with pytest.raises(NotKnown):
        await transport.find_sent(Reply("x"), CHANNEL, "1", START)


async def test_a_look_slack_refuses_for_now_is_a_delivery_error(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """429 and 5xx: the outbox waits and looks again later (never sends blindly)."""
    fake.fail(
        "conversations.history",
        Failure(status=429, error="ratelimited", retry_after=7),
        Failure(status=503, error="service_unavailable"),
    )
    with pytest.raises(DeliveryError) as limited:
        await transport.find_sent(Reply("x"), CHANNEL, "1", START)
    assert limited.value.retry_after == 7 and not limited.value.permanent
    with pytest.raises(DeliveryError) as failed:
        await transport.find_sent(Reply("x"), CHANNEL, "1", START)
    assert failed.value.retry_after is None and not failed.value.permanent


async def test_no_answer_in_time_may_have_been_sent(sqlite_engine: Engine) -> None:
    """A post whose answer never comes: Slack may have it, and the error says so."""

    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/chat.postMessage", silent)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    client = AsyncWebClient(
        token=TOKEN,
        base_url=f"http://{host}:{port}/api/",
        timeout=cast(int, 0.2),  # aiohttp takes any number of seconds
        retry_handlers=[],
    )
    try:
        with pytest.raises(DeliveryError) as failure:
            await SlackTransport(client, sqlite_engine).send(Reply("x"), CHANNEL, None, tag="1")
    finally:
        await runner.cleanup()
    assert failure.value.maybe_sent and not failure.value.permanent
