"""Receiving from Slack: signed HTTP requests only, Socket Mode, and the run entry point."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy.engine import Engine

from bot.app import BotApp
from bot.settings import Settings
from bot.slack import SlackConfigError, SlackService, run_slack
from tests.bot.slack.conftest import SECRET, Workspace, load_directory
from tests.bot.slack.fake_slack import APP_TOKEN, TOKEN, FakeSlack, until
from tests.bot.slack.test_adapter import filed


def command_body(user: str = "UANNA") -> str:
    return urlencode(
        {
            "command": "/incident",
            "text": "",
            "user_id": user,
            "channel_id": "CACME",
            "trigger_id": "t-1",
            "team_id": "T1",
        }
    )


async def test_forged_signature_is_rejected(workspace: Workspace) -> None:
    """A request signed with another secret gets 401 and reaches no handler."""
    status, _ = await workspace.post(
        command_body(), "application/x-www-form-urlencoded", secret="not-the-secret"
    )
    assert status == 401
    assert [c.method for c in workspace.fake.calls] == ["auth.test"]  # the start's token check
    assert workspace.service.adapter.completed == 0


async def test_stale_timestamp_is_rejected(workspace: Workspace) -> None:
    """A correctly signed request older than five minutes gets 401 (a replay)."""
    stale = int(time.time()) - 6 * 60
    status, _ = await workspace.post(
        command_body(), "application/x-www-form-urlencoded", timestamp=stale
    )
    assert status == 401
    assert [c.method for c in workspace.fake.calls] == ["auth.test"]  # the start's token check


async def test_missing_signature_is_rejected(workspace: Workspace) -> None:
    """A request without Slack's headers gets 401."""
    async with workspace.http.post(workspace.url, data=b"{}") as response:
        assert response.status == 401


async def test_unreadable_signed_body_is_a_400_not_a_crash(workspace: Workspace) -> None:
    """A signed body that is not JSON is answered 400."""
    status, _ = await workspace.post("{not json", "application/json")
    assert status == 400


async def test_url_verification_is_answered(workspace: Workspace) -> None:
    """Slack's endpoint check gets its challenge back."""
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"})
    status, text = await workspace.post(body, "application/json")
    assert status == 200 and "abc" in text


def test_http_mode_needs_the_signing_secret(sqlite_engine: Engine) -> None:
    """Without SLACK_APP_TOKEN and SLACK_SIGNING_SECRET there is no safe way to receive."""
    with pytest.raises(SlackConfigError):
        SlackService(BotApp(sqlite_engine), bot_token=TOKEN)
    with pytest.raises(SlackConfigError):
        SlackService.from_settings(BotApp(sqlite_engine), Settings(SLACK_SIGNING_SECRET=SECRET))


async def test_socket_mode_receives_a_slash_command_and_opens_the_modal(
    sqlite_engine: Engine, fake: FakeSlack
) -> None:
    """With SLACK_APP_TOKEN the bot connects over a WebSocket and acknowledges each envelope."""
    load_directory(sqlite_engine)
    app = BotApp(sqlite_engine)
    service = SlackService(app, bot_token=TOKEN, app_token=APP_TOKEN, api_url=fake.base + "/api/")
    assert await service.start() == []
    try:
        await asyncio.wait_for(fake.socket_connected.wait(), 10)
        payload = {
            "command": "/incident",
            "text": "",
            "user_id": "UANNA",
            "channel_id": "CACME",
            "trigger_id": "t-socket",
            "team_id": "T1",
            "api_app_id": "A1",
        }
        envelope = await fake.envelope("slash_commands", payload)
        await until(lambda: any(a.get("envelope_id") == envelope for a in fake.socket_acks))
        await until(lambda: len(fake.opened) == 1)
        assert fake.to("views.open")[0]["trigger_id"] == "t-socket"
    finally:
        await service.stop()


async def test_run_slack_serves_until_cancelled(sqlite_engine: Engine, fake: FakeSlack) -> None:
    """run_slack adds the Slack transport, connects, and stops cleanly when cancelled."""
    app = BotApp(sqlite_engine)
    settings = Settings(
        SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake.base + "/api"
    )
    task = asyncio.create_task(run_slack(app, settings))
    await asyncio.wait_for(fake.socket_connected.wait(), 10)
    assert "slack" in app.transports
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_over_http_slack_hears_back_only_once_the_event_is_handled(
    workspace: Workspace,
) -> None:
    """The 200 comes after the handling's transaction: a process killed before it leaves the
    request unanswered (Slack retries an event), never answered and lost."""
    dm = {"type": "message", "channel_type": "im", "channel": "DANNA", "user": "UANNA"}
    status, _ = await workspace.event({**dm, "text": "hallo", "ts": "3.1"}, event_id="EvH")
    assert status == 200
    # No waiting: the answer is in the outbox by the time Slack has its 200.
    assert [row.chat_id for row in workspace.outbox()] == ["DANNA"]
    assert workspace.service.adapter.completed == 1


async def test_web_api_calls_reuse_kept_alive_connections(workspace: Workspace) -> None:
    """A report's modal, user look-ups and messages go over a few pooled connections, not one
    new connection (against Slack: a TCP and TLS handshake) per call."""
    await filed(workspace)
    fake = workspace.fake
    assert len(fake.calls) >= 6
    # One for the modal's calls, one per message under way at the same time (the card, the DM).
    assert len(fake.connections) <= 3, (len(fake.connections), len(fake.calls))


async def test_after_stopping_a_call_still_gets_a_connection_of_its_own(
    sqlite_engine: Engine, fake: FakeSlack
) -> None:
    """Delivery may send the messages in hand after the service has stopped."""
    service = SlackService(
        BotApp(sqlite_engine), bot_token=TOKEN, signing_secret=SECRET, api_url=fake.base + "/api/"
    )
    await service.start(host="127.0.0.1", port=0)
    await service.stop()
    await service.adapter.transport.client.auth_test()
    assert [call.method for call in fake.calls][-1] == "auth.test"
