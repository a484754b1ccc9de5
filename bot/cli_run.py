"""``slabot run``: the bot for real — transports from the environment, timers, delivery,
health and metrics — until SIGTERM, after which the messages in hand are still sent."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.engine import Engine

from bot import logs
from bot.app import BotApp
from bot.cli_common import cli_translator
from bot.database import open_database
from bot.metrics import health_app
from bot.settings import Settings
from sla.clock import clock_for
from sla.policy import builtin_ids, builtin_policy

log = logging.getLogger("slabot.run")
_ = cli_translator()._
Runner = Callable[[BotApp, Settings], Coroutine[Any, Any, None]]


async def _database(settings: Settings, stop: asyncio.Event) -> Engine | None:
    """Open (and migrate) the database, waiting for it to come up."""
    delay = 1.0
    while not stop.is_set():
        try:
            return await asyncio.to_thread(open_database, settings.database_url)
        except Exception as error:
            log.warning(
                "database not available (%s); retrying in %.0f s", type(error).__name__, delay
            )
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, 30.0)
    return None


def transports(settings: Settings) -> dict[str, Runner]:
    """The platforms configured in the environment, with the coroutine that runs each."""
    wanted = {"telegram": settings.telegram_bot_token, "slack": settings.slack_bot_token}
    runners: dict[str, Runner] = {}
    for name, token in wanted.items():
        if token:
            module: Any = importlib.import_module(f"bot.{name}")
            runners[name] = getattr(module, f"run_{name}")
    return runners


def _warm_up() -> None:
    """Read the built-in policies and lay out their calendars for this year now, rather than in
    the first report of each customer after a start (about 50 ms a policy)."""
    now = datetime.now(UTC)
    for policy_id in builtin_ids():
        clock = clock_for(builtin_policy(policy_id))
        clock.deadlines(next(iter(clock.policy.kinds)), reported_at=now)


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = await _database(settings, stop)
    if engine is None:
        return
    app = BotApp(
        engine,
        outbox_lease=timedelta(seconds=settings.outbox_lease_seconds),
        delivery_chats=settings.delivery_concurrency,
    )
    runners = transports(settings)
    ready = dict.fromkeys(runners, False) | {"timers": False}
    site_runner = web.AppRunner(health_app(engine, ready), access_log=None)
    await site_runner.setup()
    await web.TCPSite(site_runner, settings.health_host, settings.health_port).start()
    await asyncio.to_thread(_warm_up)
    await app.start()
    ready["timers"] = True
    if not runners:
        log.warning(
            "no chat platform configured (TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN): firing timers only"
        )
    tasks = {
        name: asyncio.create_task(run(app, settings), name=name) for name, run in runners.items()
    }
    for name in tasks:
        ready[name] = True
    log.info("slabot running", extra={"platform": ",".join(runners) or "none"})
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([waiter, *tasks.values()], return_when=asyncio.FIRST_COMPLETED)
    for name, task in tasks.items():
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("%s transport stopped: %r", name, task.exception())
    log.info("stopping: finishing the messages in hand")
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    await app.stop()
    waiter.cancel()
    await site_runner.cleanup()
    engine.dispose()
    log.info("stopped")


def run() -> None:
    """Run the bot: the chat platforms configured in the environment (and .env), the timers,
    delivery, and /healthz, /readyz, /metrics on SLABOT_HEALTH_HOST:SLABOT_HEALTH_PORT."""
    settings = Settings()
    logs.configure(settings.log_level)
    asyncio.run(serve(settings))
