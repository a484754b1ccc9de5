"""``slabot timers run``: fire due timers until stopped (one of several replicas is fine)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from bot.cli_common import cli_translator
from bot.database import open_database
from bot.settings import Settings
from bot.timers import TimerRunner

_ = cli_translator()._
app = typer.Typer(help=_("Reminders, breaches and escalation timers."), no_args_is_help=True)


async def _serve(sweep: float) -> None:
    engine = open_database(Settings().database_url)
    runner = TimerRunner(engine, sweep_seconds=sweep)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner.start()
    try:
        await stop.wait()
    finally:
        runner.shutdown()
        engine.dispose()


@app.command("run")
def run(
    sweep: Annotated[
        float, typer.Option(help=_("Seconds between sweeps for timers other replicas created."))
    ] = 30.0,
) -> None:
    """Fire due timers (missed ones first, marked late) until SIGTERM."""
    asyncio.run(_serve(sweep))
