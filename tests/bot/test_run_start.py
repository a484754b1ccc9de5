"""``slabot run`` when things are wrong: settings that cannot work stop it before it starts
(one line, exit 2); a transport that fails once running stops it with exit 1 and one log line;
the database away at start is waited for, without a traceback (issue #8). The database going
away while it runs, and SIGTERM then: ``tests/bot/test_db_outage.py``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.settings import Settings, without_token
from tests.bot.slack.fake_slack import APP_TOKEN, FakeSlack
from tests.bot.slack.fake_slack import TOKEN as SLACK_TOKEN
from tests.bot.telegram.fake_bot_api import FakeBotApi

ROOT = Path(__file__).parents[2]
WRONG_TOKEN = "999:WRONG-token-wrong-token-wrong"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))},
        "SLABOT_DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "SLABOT_HEALTH_PORT": str(_free_port()),
        "SLABOT_LANG": "en",
        **values,
    }


def _run(
    tmp_path: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,  # no stray .env
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _start(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _status(port: str, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def _until(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"SLABOT_HEALTH_PORT": "abc"}, "SLABOT_HEALTH_PORT"),
        ({"SLABOT_LOG_LEVEL": "verbose"}, "SLABOT_LOG_LEVEL"),
        ({"SLABOT_DELIVERY_CONCURRENCY": "0"}, "SLABOT_DELIVERY_CONCURRENCY"),
        ({"SLABOT_HEALTH_PORT": "99999"}, "SLABOT_HEALTH_PORT"),
        ({"SLABOT_DATABASE_URL": "not a url"}, "Not a database URL: not a url"),
        ({"SLABOT_DATABASE_URL": "foo://bar"}, "Unknown kind of database in foo://bar"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "SLACK_SIGNING_SECRET"),
        (
            {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_WEBHOOK_URL": "https://x.example/hook"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_settings_that_cannot_work_stop_it_before_it_starts(
    tmp_path: Path, values: dict[str, str], named: str
) -> None:
    """One line naming the setting, exit 2, no traceback, no secret; nothing started."""
    result = _run(tmp_path, _env(tmp_path, **values))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert named in result.stderr and "slabot cannot start" in result.stderr
    assert "Traceback" not in result.stderr and WRONG_TOKEN not in result.stderr
    assert not (tmp_path / "run.sqlite3").exists()


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ({"SLACK_APP_TOKEN": APP_TOKEN}, "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not"),
        (
            {"SLACK_SIGNING_SECRET": "s3cret"},
            "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://x.example/hook"},
            "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not",
        ),
        (
            {"TELEGRAM_WEBHOOK_SECRET": "s3cret"},
            "TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_BOT_TOKEN is not",
        ),
        (
            {"TELEGRAM_WEBHOOK_PORT": "8443"},
            "TELEGRAM_WEBHOOK_PORT is set but TELEGRAM_BOT_TOKEN is not",
        ),
        (  # the other platform complete does not let the half one be left out
            {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN},
            "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not",
        ),
    ],
)
def test_a_platform_without_its_bot_token_stops_it_before_it_starts(
    tmp_path: Path, values: dict[str, str], line: str
) -> None:
    """A platform's setting without the platform's bot token is a mistake, not "no chat
    platform configured": one line naming both variables, exit 2, nothing started."""
    result = _run(tmp_path, _env(tmp_path, **values), timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"slabot cannot start: {line}\n"
    assert not (tmp_path / "run.sqlite3").exists()


def test_empty_platform_settings_count_as_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SLACK_APP_TOKEN=`` (a compose file passing on an unset variable) is no setting, as
    ``SLACK_BOT_TOKEN=`` is no token: nothing to refuse."""
    for name in os.environ:
        if name.startswith(("TELEGRAM_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "")
    assert without_token(Settings()) is None
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    assert without_token(Settings()) == ("SLACK_API_URL", "SLACK_BOT_TOKEN")


def test_a_health_port_in_use_stops_it_before_it_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = _run(tmp_path, _env(tmp_path, SLABOT_HEALTH_PORT=port))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in result.stderr


def test_a_token_telegram_refuses_stops_it_with_exit_1(tmp_path: Path) -> None:
    """The fake Bot API answers 401: one error line in the JSON log, the token redacted, no
    unclosed-session noise, exit 1 (a supervisor restarts it; 0 would look like a clean stop)."""

    async def scenario() -> subprocess.CompletedProcess[str]:
        api = FakeBotApi()
        await api.serve()
        try:
            env = _env(tmp_path, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, TELEGRAM_API_BASE_URL=api.base_url)
            return await asyncio.to_thread(_run, tmp_path, env)
        finally:
            await api.close()

    result = asyncio.run(scenario())
    assert result.returncode == 1, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    errors = [entry for entry in lines if entry["level"] == "error"]
    assert [entry["logger"] for entry in errors] == ["bot.cli_run"], errors
    assert "telegram transport stopped" in errors[0]["message"]
    assert WRONG_TOKEN not in result.stderr and "WRONG-token" not in result.stderr


@pytest.mark.parametrize("wrong", ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"])
def test_a_token_slack_refuses_stops_it_with_exit_1(tmp_path: Path, wrong: str) -> None:
    """Socket Mode would retry a refused app token for ever, and a refused bot token would
    fail every event: both stop the bot with one error line and exit 1."""

    async def scenario() -> subprocess.CompletedProcess[str]:
        fake = FakeSlack()
        await fake.start()
        try:
            tokens = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
            tokens[wrong] = f"{tokens[wrong][:5]}wrong-but-long-enough"
            env = _env(tmp_path, **tokens, SLACK_API_URL=fake.base + "/api/")
            return await asyncio.to_thread(_run, tmp_path, env)
        finally:
            await fake.stop()

    result = asyncio.run(scenario())
    assert result.returncode == 1, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    errors = [entry["message"] for entry in lines if entry["level"] == "error"]
    assert errors == [
        f"slack transport stopped: SlackConfigError: Slack refuses {wrong}: invalid_auth"
    ]
    assert "wrong-but-long-enough" not in result.stderr


def test_health_answers_while_the_database_is_awaited(tmp_path: Path) -> None:
    """A database that is not there yet: /healthz 200 (alive), /readyz 503, SIGTERM exits 0."""
    port = _free_port()
    env = _env(tmp_path, SLABOT_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{port}/x")
    process = _start(tmp_path, env)
    health = env["SLABOT_HEALTH_PORT"]
    try:
        _until(lambda: _status(health, "/healthz") == 200)
        assert _status(health, "/readyz") == 503
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "database not available" in stderr
