"""The Bot API's HTTP calls over aiohttp: answers pass through, failures become PTB's errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.telegram import AiohttpRequest
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    """A server that takes the request and never answers."""
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/{path:.*}", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/bot"
    release.set()
    await runner.cleanup()


async def test_calls_go_through_and_the_pool_is_closed_at_shutdown(fake_api: FakeBotApi) -> None:
    """PTB's Bot on this request sends, reads Telegram's answer, and closes the pool with it."""
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=f"{fake_api.base_url}/bot", request=request)
    async with bot:
        sent = await bot.send_message(-1009, "<b>hallo</b>", parse_mode="HTML")
    assert fake_api.texts(-1009) == ["hallo"] and sent.message_id
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{fake_api.base_url}/bot{TOKEN}/getMe", "POST")


async def test_no_server_is_a_network_error() -> None:
    """Nothing listening: PTB's NetworkError (the outbox retries it), not a time-out."""
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{_closed_port()}/bot{TOKEN}/getMe")
        assert not isinstance(caught.value, TimedOut)
    finally:
        await request.shutdown()


async def test_no_answer_in_time_is_timed_out(silent: str) -> None:
    """No answer within the read time-out: PTB's TimedOut."""
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{silent}{TOKEN}/sendMessage")
    finally:
        await request.shutdown()
