"""Writes asked for together are committed together, each with its own result."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from bot.group_commit import GroupCommit


def _transactions(engine: Engine) -> list[int]:
    begun: list[int] = []
    event.listen(engine, "begin", lambda _conn: begun.append(1))
    return begun


def _bump(prefix: str) -> Callable[[Connection], int]:
    def write(connection: Connection) -> int:
        connection.execute(text("INSERT INTO counter (prefix, last) VALUES (:p, 1)"), {"p": prefix})
        return len(prefix)

    return write


def _counters(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT prefix FROM counter ORDER BY prefix")).scalars())


def test_writes_asked_for_together_share_one_transaction(sqlite_engine: Engine) -> None:
    begun = _transactions(sqlite_engine)
    writes: GroupCommit[int] = GroupCommit(sqlite_engine)

    async def together() -> list[int]:
        return await asyncio.gather(*(writes.run(_bump("X" * n)) for n in range(1, 6)))

    assert asyncio.run(together()) == [1, 2, 3, 4, 5]
    assert len(begun) == 1
    assert _counters(sqlite_engine) == ["X", "XX", "XXX", "XXXX", "XXXXX"]


def test_writes_arriving_meanwhile_go_into_the_next_transaction(sqlite_engine: Engine) -> None:
    begun = _transactions(sqlite_engine)
    writes: GroupCommit[int] = GroupCommit(sqlite_engine)
    running = threading.Event()
    go_on = threading.Event()

    def slow(connection: Connection) -> int:
        running.set()
        go_on.wait(5)
        return 0

    async def scenario() -> list[int]:
        first = asyncio.ensure_future(writes.run(slow))
        await asyncio.to_thread(running.wait, 5)  # the first transaction is under way
        later = [asyncio.ensure_future(writes.run(_bump(p))) for p in ("A", "BB", "CCC")]
        await asyncio.sleep(0)
        go_on.set()
        return [await first, *[await w for w in later]]

    assert asyncio.run(scenario()) == [0, 1, 2, 3]
    assert len(begun) == 2
    assert _counters(sqlite_engine) == ["A", "BB", "CCC"]


def test_a_failed_transaction_fails_each_of_its_writes_and_keeps_none(
    sqlite_engine: Engine,
) -> None:
    writes: GroupCommit[int] = GroupCommit(sqlite_engine)

    def broken(connection: Connection) -> int:
        connection.execute(text("INSERT INTO nowhere VALUES (1)"))
        return 0

    async def scenario() -> list[object]:
        batch = [writes.run(_bump("A")), writes.run(broken), writes.run(_bump("B"))]
        failed = await asyncio.gather(*batch, return_exceptions=True)
        after = await writes.run(_bump("C"))
        return [*failed, after]

    first, second, third, after = asyncio.run(scenario())
    assert all(isinstance(r, Exception) for r in (first, second, third))
    assert after == 1
    assert _counters(sqlite_engine) == ["C"]


@pytest.mark.postgres
def test_on_postgresql_too(postgres_engine: Engine) -> None:
    writes: GroupCommit[int] = GroupCommit(postgres_engine)

    async def together() -> list[int]:
        return await asyncio.gather(writes.run(_bump("P")), writes.run(_bump("QQ")))

    assert asyncio.run(together()) == [1, 2]
    assert _counters(postgres_engine) == ["P", "QQ"]
