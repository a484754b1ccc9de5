"""What runs on every delivery round, scrape or look-up does not read the history.

Sent messages and closed incidents only grow (a year is hundreds of thousands of rows). The
work is counted in SQLite's virtual-machine steps (its progress handler), not in time: a read
of every row ever sent shows as tens of thousands of steps more, on any machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from bot.metrics import database_gauges
from bot.outbox import recent_payloads
from bot.outbox_delivery import deliver_due
from sla.models import Incident
from tests.bot.test_outbox import T0, FakeTransport, _queue
from tests.chat import ChatDriver

HISTORY = 20_000
STEP = 10  # VM instructions per progress call


def _about_the_same(fresh: int, aged: int) -> bool:
    """Within half again and 500 instructions (a deeper index); reading 20,000 rows is
    more than 100,000."""
    return aged < fresh * 1.5 + 50


@contextmanager
def _counted(engine: Engine) -> Iterator[list[int]]:
    """Counts SQLite VM steps (in tens) of every connection checked out meanwhile."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    def watch(dbapi: Any, record: Any, proxy: Any) -> None:
        dbapi.set_progress_handler(tick, STEP)

    engine.dispose()
    event.listen(engine, "checkout", watch)
    try:
        yield steps
    finally:
        event.remove(engine, "checkout", watch)
        engine.dispose()  # its connections still have the handler


def _cost(engine: Engine, work: Callable[[], object]) -> int:
    with _counted(engine) as steps:
        work()
    return steps[0]


def _sent_history(engine: Engine, rows: int) -> None:
    """``rows`` messages sent long ago, to the chats the tests use and to many others."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
                "INSERT INTO outboxmessage (created_at, platform, chat_id, payload, status, "
                "attempts, next_attempt_at, sent_at) "
                "SELECT :at, 'telegram', CAST(i % 50 AS TEXT), '{\"text\": \"old\"}', 'sent', 1, "
                ":at, :at FROM n"
            ),
            {"rows": rows, "at": (T0 - timedelta(days=300)).replace(tzinfo=None)},
        )


def test_a_delivery_round_reads_no_sent_messages(sqlite_engine: Engine) -> None:
    def one_round() -> None:
        _queue(sqlite_engine, ("1", "a"), ("2", "b"), ("1", "c"))
        assert asyncio.run(deliver_due(sqlite_engine, {"telegram": FakeTransport()}, T0)) == 3

    fresh = _cost(sqlite_engine, one_round)
    _sent_history(sqlite_engine, HISTORY)
    aged = _cost(sqlite_engine, one_round)
    assert _about_the_same(fresh, aged), (fresh, aged)


def test_the_gauges_and_a_chats_latest_messages_read_no_history(sqlite_engine: Engine) -> None:
    def latest() -> None:
        with sqlite_engine.connect() as connection:
            assert len(recent_payloads(connection, "telegram", "1", 10)) == 10

    fresh = _cost(sqlite_engine, lambda: database_gauges(sqlite_engine))
    _sent_history(sqlite_engine, HISTORY)
    aged = _cost(sqlite_engine, lambda: database_gauges(sqlite_engine))
    assert _about_the_same(fresh, aged), (fresh, aged)
    # Ten of the chat's 400 among 20,000: a few instructions each, not a read of them all.
    assert _cost(sqlite_engine, latest) < 50


def test_staff_status_reads_no_closed_incidents(chat: ChatDriver, sqlite_engine: Engine) -> None:
    chat.report("anna", "1", "1", "Storing", "ja")

    def status() -> None:
        assert "PLEK-1" in chat.say("support", "/status", chat="support")[0].text

    fresh = _cost(sqlite_engine, status)
    columns = [c.name for c in Incident.__table__.columns if c.name not in ("id", "ref", "status")]
    copied = ", ".join(columns)
    with sqlite_engine.begin() as connection:
        connection.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
                f"INSERT INTO incident (ref, status, {copied}) "
                f"SELECT 'OLD-' || i, 'closed', {copied} FROM n, incident WHERE ref = 'PLEK-1'"
            ),
            {"rows": HISTORY // 4},
        )
    aged = _cost(sqlite_engine, status)
    assert _about_the_same(fresh, aged), (fresh, aged)
