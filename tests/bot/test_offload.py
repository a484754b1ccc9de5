"""Where the loop's database work runs: on the loop for SQLite, in a worker thread otherwise."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy.engine import Engine

from bot.offload import database_work, on_the_loop
from sla.db import make_engine


def test_sqlite_work_runs_on_the_loop_and_postgresql_work_in_a_thread(
    sqlite_engine: Engine,
) -> None:
    """The same call, on the loop's own thread for SQLite and in another for PostgreSQL (the
    engine is never connected: the work here touches no database)."""
    postgres = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")

    async def threads() -> tuple[int, int, int]:
        loop_thread = threading.get_ident()
        on_sqlite = await database_work(sqlite_engine, threading.get_ident)
        on_postgres = await database_work(postgres, threading.get_ident)
        return loop_thread, on_sqlite, on_postgres

    loop_thread, on_sqlite, on_postgres = asyncio.run(threads())
    assert on_sqlite == loop_thread and on_postgres != loop_thread
    assert on_the_loop(sqlite_engine) and not on_the_loop(postgres)
    postgres.dispose()


def test_arguments_and_errors_pass_through(sqlite_engine: Engine) -> None:
    """Keyword arguments reach the work, and its exception reaches the caller."""

    def work(a: int, *, b: int) -> int:
        if b < 0:
            raise ValueError("negative")
        return a + b

    async def run() -> tuple[int, str]:
        total = await database_work(sqlite_engine, work, 2, b=3)
        try:
            await database_work(sqlite_engine, work, 2, b=-1)
        except ValueError as error:
            return total, str(error)
        return total, ""

    assert asyncio.run(run()) == (5, "negative")
