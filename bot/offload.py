"""Where the event loop's database work runs: in a worker thread, or right on the loop.

On PostgreSQL every statement waits on the network, so the work runs in a worker thread and the
loop goes on meanwhile. On SQLite it is a millisecond or two of CPU and local file access, and it
runs on the loop itself. A worker thread there costs more than it gives: the hop, and the loop and
the thread taking turns at the interpreter while the thread holds SQLite's one write lock, which
made every other write wait longer (the tail of the load benchmark; BENCHMARKS.md, seventh
round). What can take long on SQLite stays in a thread: firing a batch of timers, forgetting old
marks, and the checkpoint that copies the write-ahead log back with an fsync
(:func:`sla.db.checkpoint`, which the bot runs on its own instead of inside a commit).

The loop does wait, then, while another process holds the file's write lock (a ``slabot
directory import`` in progress): so would every handler in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine

P = ParamSpec("P")
T = TypeVar("T")


def on_the_loop(engine: Engine) -> bool:
    """Whether ``engine``'s short work runs on the event loop (SQLite) rather than a thread."""
    return engine.dialect.name == "sqlite"


async def database_work(
    engine: Engine, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``work(*args, **kwargs)``: on the loop for SQLite, in a worker thread otherwise."""
    if on_the_loop(engine):
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)
