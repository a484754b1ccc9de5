"""Small writes asked for at about the same moment, committed together (group commit)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine

from bot.offload import database_work

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """The claims and outcomes that chats being sent to side by side ask for at about the same
    moment, written in one transaction (group commit).

    Each write is a function of a connection. The writes that arrive before a transaction
    starts, or while it runs in a worker thread (:mod:`bot.offload`), go together into one
    transaction: a message then costs a share of a transaction instead of two of its own. When
    a transaction fails, every write in it fails (they were on the same database).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[tuple[Callable[[Connection], T], asyncio.Future[T]]] = []
        self._running: asyncio.Task[None] | None = None

    async def run(self, write: Callable[[Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((write, future))
        if self._running is None:
            self._running = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await database_work(self.engine, self._execute, [w for w, _ in batch])
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if isinstance(error, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._running = None

    def _execute(self, writes: Sequence[Callable[[Connection], T]]) -> list[T]:
        with self.engine.begin() as connection:
            return [write(connection) for write in writes]
