"""``slabot run``: the bot for real — transports from the environment, timers, delivery,
health and metrics — until SIGTERM, after which the messages in hand are still sent.

Settings that cannot work (a value of the wrong kind, a token without its secret, a platform's
setting without its bot token, a database URL that is no URL, a health port taken) stop it
before it starts, with one line and exit 2.
A transport that fails once running (a token Telegram refuses, Slack's port taken) stops the
bot with an error in the log and exit 1, so that a supervisor restarts it. The database being
away is not an error: it waits for it, at start and later.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import typer
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from bot import logs, metrics
from bot.app import BotApp
from bot.cli_common import cli_translator, fail
from bot.database import DatabaseProblem, DatabaseUnreachable, migrated_engine
from bot.failures import summary
from bot.settings import Settings, describe, without_token
from sla.clock import clock_for
from sla.policy import builtin_ids, builtin_policy

log = logging.getLogger(__name__)  # not "slabot...": bolt sets the level of its app logger "slabot"


class Runner(Protocol):
    def __call__(
        self, app: BotApp, settings: Settings, *, started: Callable[[], None] | None = None
    ) -> Coroutine[Any, Any, None]: ...


class StartError(Exception):
    """The configuration cannot run: what is wrong, in one line for the operator."""


def transports(settings: Settings) -> dict[str, Runner]:
    """The platforms configured in the environment, with the coroutine that runs each."""
    wanted = {"telegram": settings.telegram_bot_token, "slack": settings.slack_bot_token}
    runners: dict[str, Runner] = {}
    for name, token in wanted.items():
        if token:
            module: Any = importlib.import_module(f"bot.{name}")
            runners[name] = getattr(module, f"run_{name}")
    return runners


def check(settings: Settings, runners: dict[str, Runner]) -> None:
    """Refuse, before anything starts, transport settings that cannot work. (A database URL
    that cannot work is refused when it is first used, see :func:`_database`.) A platform that
    is half configured (``SLACK_APP_TOKEN`` without ``SLACK_BOT_TOKEN``) is refused too, rather
    than left out with the other platforms running."""
    stray = without_token(settings)
    if stray is not None:
        raise StartError(f"{stray[0]} is set but {stray[1]} is not")
    for name in runners:
        module: Any = importlib.import_module(f"bot.{name}")
        try:
            module.check_settings(settings)
        except (ValueError, RuntimeError) as error:  # SlackConfigError, TelegramConfigError
            raise StartError(str(error)) from error


def secrets(settings: Settings) -> list[str]:
    """The configured secrets, redacted from the logs wherever they appear."""
    values = (
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
    )
    return [value for value in values if value]


async def _database(settings: Settings, stop: asyncio.Event) -> Engine | None:
    """Open (and migrate) the database, waiting for it to come up; a URL that cannot work
    (not a URL, an unknown kind, no driver) is a :class:`StartError` at once."""
    delay = 1.0
    while not stop.is_set():
        try:
            return await asyncio.to_thread(migrated_engine, settings.database_url)
        except DatabaseProblem as problem:
            if not isinstance(problem, DatabaseUnreachable):
                raise StartError(problem.explain(cli_translator())) from problem
            log.warning("database not available (%s); retrying in %.0f s", summary(problem), delay)
        except Exception as error:  # a migration that failed half-way: try again
            log.warning("database not available (%s); retrying in %.0f s", summary(error), delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            delay = min(delay * 2, 30.0)
    return None


def _warm_up() -> None:
    """Read the built-in policies and lay out their calendars for this year now, rather than in
    the first report of each customer after a start (about 50 ms a policy)."""
    now = datetime.now(UTC)
    for policy_id in builtin_ids():
        clock = clock_for(builtin_policy(policy_id))
        clock.deadlines(next(iter(clock.policy.kinds)), reported_at=now)


async def serve(settings: Settings, runners: dict[str, Runner]) -> int:
    """Run until SIGTERM (or a transport fails); the exit code. Health and metrics answer from
    the start, while the database is still awaited."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    health = metrics.Health(dict.fromkeys(runners, False) | {"timers": False})
    site_runner = web.AppRunner(health.app(), access_log=None)
    await site_runner.setup()
    host, port = settings.health_host, settings.health_port
    try:
        await web.TCPSite(site_runner, host, port).start()
    except (OSError, OverflowError) as error:
        await site_runner.cleanup()
        reason = getattr(error, "strerror", None) or str(error)
        raise StartError(f"/healthz cannot listen on {host}:{port}: {reason}") from error
    try:
        return await _serve(settings, stop, runners, health)
    finally:
        await site_runner.cleanup()


async def _serve(
    settings: Settings, stop: asyncio.Event, runners: dict[str, Runner], health: metrics.Health
) -> int:
    engine = await _database(settings, stop)
    if engine is None:
        return 0
    health.engine = engine
    app = BotApp(
        engine,
        outbox_lease=timedelta(seconds=settings.outbox_lease_seconds),
        delivery_chats=settings.delivery_concurrency,
    )
    await asyncio.to_thread(_warm_up)
    await app.start()
    health.ready["timers"] = True
    if not runners:
        log.warning(
            "no chat platform configured (TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN): firing timers only"
        )

    def started(name: str) -> Callable[[], None]:
        return lambda: health.ready.__setitem__(name, True)

    tasks = {
        name: asyncio.create_task(run(app, settings, started=started(name)), name=name)
        for name, run in runners.items()
    }
    log.info("slabot running", extra={"platform": ",".join(runners) or "none"})
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([waiter, *tasks.values()], return_when=asyncio.FIRST_COMPLETED)
    failed = [
        (name, task.exception())
        for name, task in tasks.items()
        if task.done() and not task.cancelled() and task.exception() is not None
    ]
    for name, error in failed:
        assert error is not None
        log.error("%s transport stopped: %s", name, summary(error))
    log.info("stopping: finishing the messages in hand")
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    await app.stop()
    waiter.cancel()
    engine.dispose()
    log.info("stopped")
    return 1 if failed else 0


def run() -> None:
    """Run the bot: chat platforms, timers and delivery, as the environment (and .env) says.

    /healthz, /readyz and /metrics answer on SLABOT_HEALTH_HOST:SLABOT_HEALTH_PORT.
    """
    t = cli_translator()
    try:
        settings = Settings()
        runners = transports(settings)
        check(settings, runners)
    except (ValidationError, StartError) as error:
        problem = describe(error) if isinstance(error, ValidationError) else str(error)
        fail(t._("slabot cannot start: {problem}", problem=problem))
    logs.configure(settings.log_level, secrets=secrets(settings))
    metrics.prepare(runners)
    try:
        code = asyncio.run(serve(settings, runners))
    except StartError as error:
        fail(t._("slabot cannot start: {problem}", problem=str(error)))
    if code:
        raise typer.Exit(code)
