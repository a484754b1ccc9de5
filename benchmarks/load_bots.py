"""The bot processes of the load benchmark (``bench_load.py``): a fresh database, optionally with a
history, and real ``slabot run`` replicas configured from the environment, started, awaited until
ready and stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from load_fakes import TELEGRAM_TOKEN, WEBHOOK_SECRET
from load_people import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN = os.environ.get(
    "SLABOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SLACK_TOKEN = "xoxb-bench-token"
WEBHOOK_PATH = "/telegram/webhook"


# -- the bot processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    health: int
    slack_port: int
    telegram_port: int
    log: Path

    def cpu(self) -> float:
        """CPU seconds (user + system) of the process so far, from /proc."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(
        {
            "SLABOT_DATABASE_URL": database_url,
            "SLABOT_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def start_replica(
    platform_name: str, database_url: str, fake_base: str, folder: Path, index: int
) -> Replica:
    health, slack_port, telegram_port = free_port(), free_port(), free_port()
    env = bot_env(database_url)
    env.update({"SLABOT_HEALTH_HOST": "127.0.0.1", "SLABOT_HEALTH_PORT": str(health)})
    if platform_name == "slack":
        env.update(
            {
                "SLACK_BOT_TOKEN": SLACK_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": f"{fake_base}/api/",
                "SLACK_HTTP_HOST": "127.0.0.1",
                "SLACK_HTTP_PORT": str(slack_port),
            }
        )
    else:
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_API_BASE_URL": fake_base,
                # What Telegram is told; this script posts to each replica's own port instead.
                "TELEGRAM_WEBHOOK_URL": f"https://bot.example.org{WEBHOOK_PATH}",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                "TELEGRAM_WEBHOOK_PORT": str(telegram_port),
            }
        )
    log = folder / f"replica-{index}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=folder, env=env, stdout=out, stderr=out
        )
    return Replica(process, health, slack_port, telegram_port, log)


async def wait_ready(replica: Replica, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{replica.health}/readyz"
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if replica.process.poll() is not None:
                raise RuntimeError(f"the bot stopped: {replica.log.read_text()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the bot did not get ready: {replica.log.read_text()[-2000:]}")


def stop_replicas(replicas: list[Replica]) -> None:
    for replica in replicas:
        if replica.process.poll() is None:
            replica.process.terminate()
    for replica in replicas:
        try:
            replica.process.wait(30)
        except subprocess.TimeoutExpired:
            replica.process.kill()


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'slabot.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    name = f"slabot_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill_history(url: str, messages: int) -> None:
    """A database in service for a while: ``messages`` sent messages (to 5,000 chats) and as
    many handled inbound events, written before the bot starts."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
    at = datetime.now(UTC) - timedelta(days=200)
    if url.startswith("sqlite"):
        at = at.replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            text(
                count + "INSERT INTO outboxmessage (created_at, platform, chat_id, payload,"
                " status, attempts, next_attempt_at, sent_at)"
                " SELECT :at, 'slack', 'H' || CAST(i % 5000 AS TEXT), :payload, 'sent', 1, :at, :at"
                " FROM n"
            ),
            {"rows": messages, "at": at, "payload": json.dumps({"text": "x" * 200})},
        )
        connection.execute(
            text(
                count + "INSERT INTO inboundevent (platform, key, seen_at)"
                " SELECT 'slack', 'old-' || CAST(i AS TEXT), :at FROM n"
            ),
            {"rows": messages, "at": at},
        )
    engine.dispose()
