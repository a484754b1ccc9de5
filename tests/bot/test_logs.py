"""The JSON logs keep message bodies, payloads and secrets out at every level (``slabot run``
with ``SLABOT_LOG_LEVEL=DEBUG`` included), while our own DEBUG lines still appear."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import logs
from bot.database import open_database

BODY = "SECRET BODY of the incident"
ODD_TELEGRAM_TOKEN = "999:WRONG-token-wrong-token-wrong-token-xx"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``configure`` changes process-wide state: put back the handlers and levels after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    known = logging.Logger.manager.loggerDict
    levels = {name: lg.level for name, lg in known.items() if isinstance(lg, logging.Logger)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lg in list(known.items()):
        if isinstance(lg, logging.Logger):
            lg.setLevel(levels.get(name, logging.NOTSET))


def _entries(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_debug_keeps_library_bodies_out(capsys: pytest.CaptureFixture[str]) -> None:
    """Library loggers carry payloads and URLs at INFO and DEBUG, some with a level of their
    own (bolt gives ``slack_bolt.AsyncApp`` the root level): none of it is written, their
    warnings are, and so are our own DEBUG lines."""
    logs.configure("DEBUG")
    socket_mode = logging.getLogger("slack_sdk.socket_mode.aiohttp")
    socket_mode.setLevel(logging.DEBUG)  # as a library may do for its own logger
    socket_mode.debug(
        'Received message (type: TEXT, data: \'{"envelope_id": "e1", "text": "%s"}\')', BODY
    )
    logging.getLogger("slack_bolt.AsyncApp").setLevel(logging.DEBUG)
    logging.getLogger("slack_bolt.AsyncApp").debug('Responding with status: 200 body: "%s"', BODY)
    logging.getLogger("slack_bolt.AsyncApp").info("A new session (%s) has been established", BODY)
    logging.getLogger("slabot").debug("bolt's app logger: %s", BODY)
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", BODY)
    logging.getLogger("httpx").info("HTTP Request: POST https://example.test/?q=%s", BODY)
    logging.getLogger("sqlalchemy.engine.Engine").info("[generated] ('%s',)", BODY)
    logging.getLogger("some_future_library").info("%s", BODY)
    logging.getLogger("bot.outbox").debug("own debug line")
    logging.getLogger("bot.cli_run").debug("run debug line")
    logging.getLogger("slack_bolt.AsyncApp").warning("a library warning")

    err = capsys.readouterr().err
    assert BODY not in err
    used = {
        "slack_sdk.socket_mode.aiohttp",
        "slack_bolt.AsyncApp",
        "slabot",
        "telegram.ext.Application",
        "httpx",
        "sqlalchemy.engine.Engine",
        "some_future_library",
        "bot.outbox",
        "bot.cli_run",
    }
    # Other tests' threads may still log meanwhile: only the loggers used here are compared.
    messages = [entry["message"] for entry in _entries(err) if entry["logger"] in used]
    assert messages == ["own debug line", "run debug line", "a library warning"]


async def test_bolt_dispatch_at_debug_logs_no_body(capsys: pytest.CaptureFixture[str]) -> None:
    """A real bolt app made after ``configure("DEBUG")`` (it copies the root level onto its
    logger) handles a command: neither the command's text nor the answer reaches the log."""
    logs.configure("DEBUG")

    async def authorize(**_: object) -> AuthorizeResult:  # no auth.test call: no network
        return AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-1-2-x", bot_user_id="UBOT"
        )

    bolt = AsyncApp(
        authorize=authorize, signing_secret="unused", request_verification_enabled=False
    )
    assert bolt.logger.isEnabledFor(logging.DEBUG)  # the case that leaked

    @bolt.command("/incident")
    async def command(ack: AsyncAck) -> None:
        await ack(text=f"answer: {BODY}")

    body = urlencode(
        {
            "command": "/incident",
            "text": f"asked: {BODY}",
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T1",
            "trigger_id": "t-1",
        }
    )
    response = await bolt.async_dispatch(
        AsyncBoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})
    )
    logging.getLogger("bot.slack.adapter").debug("handled")

    assert response.status == 200 and BODY in response.body  # the listener did run
    err = capsys.readouterr().err
    assert BODY not in err
    assert [entry["message"] for entry in _entries(err)] == ["handled"]


def test_configured_secrets_are_redacted_in_messages_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A token of a shape no pattern knows is blanked because it is configured, in the message,
    in the traceback and URL-encoded; empty and short values blank nothing."""
    webhook_secret = "hook/secret value"
    logs.configure("INFO", secrets=[ODD_TELEGRAM_TOKEN, SIGNING_SECRET, webhook_secret, "", "ok"])
    log = logging.getLogger("bot.telegram")
    try:
        raise RuntimeError(f"The token `{ODD_TELEGRAM_TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("telegram stopped: signing %s", SIGNING_SECRET)
    log.warning("posted to https://example.test/hook?secret=hook%2Fsecret%20value ok")

    err = capsys.readouterr().err
    for secret in ("WRONG-token", SIGNING_SECRET, "hook/secret", "hook%2Fsecret"):
        assert secret not in err
    first, second = _entries(err)
    assert first["message"] == "telegram stopped: signing [redacted]"
    assert "The token `[redacted]` was rejected" in str(first["error"])
    assert second["message"] == "posted to https://example.test/hook?secret=[redacted] ok"


def test_redact_blanks_token_shapes_and_given_values() -> None:
    """``redact`` alone knows the token shapes (an odd Telegram one too); given values are
    blanked as well."""
    text = f"The token `{ODD_TELEGRAM_TOKEN}` was rejected; xoxb-1-2-abc"
    assert logs.redact(text) == "The token `[redacted]` was rejected; [redacted]"
    assert logs.redact(f"secret={SIGNING_SECRET}", [SIGNING_SECRET]) == "secret=[redacted]"
    assert logs.redact("at 12:30 ok", ["ok"]) == "at 12:30 ok"


def test_migrations_are_still_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Alembic's INFO lines that say which migration a start runs stay; its other chatter does
    not."""
    logs.configure("DEBUG")
    open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}").dispose()
    entries = _entries(capsys.readouterr().err)
    assert any(str(entry["message"]).startswith("Running upgrade") for entry in entries)
    assert {entry["logger"] for entry in entries} == {"alembic.runtime.migration"}
