"""Database engines and schema upgrades (SQLite by default, PostgreSQL for several replicas)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database in (None, "", ":memory:"):  # one connection per thread, no file
            event.listen(engine, "begin", _begin_immediate)
            return engine
        turn = _WriterTurn()
        event.listen(engine, "begin", turn.take)
        event.listen(engine, "reset", turn.on_reset)
        event.listen(engine, "close", turn.on_close)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A server that does not answer (network gone) fails a connection attempt after 10 s
    # instead of hanging the thread that asked; the caller retries.
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("connect_timeout", 10)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite starts transactions lazily, which breaks SAVEPOINTs (a nested block would
    # commit on its own); SQLAlchemy's documented fix is to let it emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if not _is_memory(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _WriterTurn:
    """The threads of one process take turns at SQLite's write lock without sleeping.

    Every transaction begins IMMEDIATE: it takes the write lock up front, so that two writers
    queue instead of one failing when a reading transaction later wants to write. Waiting for
    that lock is SQLite's busy handler, which sleeps 1, 2, 5 … 25, 50, 100 ms between tries, so
    under load a transaction often slept long after the lock was free (the p99 of the load
    benchmark). A lock of the process's own, held from BEGIN until the connection goes back to
    the pool, hands the turn over at once. Other processes on the same file still meet the busy
    handler, and a turn not given back within the busy timeout is not waited for any longer.
    """

    TIMEOUT = 30.0  # as the connections' busy timeout

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def take(self, connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # WAL gives a reader its snapshot without the write lock: writers go on meanwhile.
            connection.exec_driver_sql("BEGIN")
            return
        info = connection.connection.info  # the DBAPI connection's, kept while it is pooled
        if not info.get(_TURN) and self._lock.acquire(timeout=self.TIMEOUT):
            info[_TURN] = True
        _begin_immediate(connection)

    def on_reset(self, dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        self.give_back(record)

    def on_close(self, dbapi_connection: Any, record: Any) -> None:
        self.give_back(record)

    def give_back(self, record: Any) -> None:
        """The connection went back to the pool (or was closed): the next writer's turn."""
        if record is not None and record.info.pop(_TURN, False):
            self._lock.release()


_TURN = "slabot_writer_turn"
READ_ONLY = "slabot_read_only"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only. On a SQLite file its transaction is a snapshot that does
    not take the write lock (nor the process's writer turn), so it never queues behind a
    writer nor holds one up; do not write on it (that would bypass the turn). Elsewhere it is
    a plain connection."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        yield connection


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def checkpoint_in_background(engine: Engine) -> bool:
    """Stop ``engine``'s connections from checkpointing a SQLite file's write-ahead log inside
    a commit; the caller runs :func:`checkpoint` itself, off the path of the writes. False (and
    nothing changed) where there is no such log: PostgreSQL, a database in memory.

    A checkpoint copies the log back into the database file and waits for the disk (fsync):
    tens to hundreds of milliseconds on a slow disk, and by default it runs in whichever commit
    finds the log over 1,000 pages, with that transaction's write lock held. Connections opened
    by other processes on the file (the CLI) keep checkpointing as usual.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return False
    event.listen(engine, "connect", _no_autocheckpoint)
    engine.dispose()  # the connections already pooled are opened again, with the setting
    return True


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def checkpoint(engine: Engine) -> tuple[int, int, int]:
    """Copy what the write-ahead log holds back into the database file, as far as the readers
    allow, without waiting for any reader or writer (``PASSIVE``); the writes go on meanwhile.

    Returns SQLite's answer: (1 if it could not start, frames in the log, frames copied back).
    Outside any transaction (a checkpoint cannot run inside one), on the driver's connection.
    """
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        busy, frames, done = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return int(busy), int(frames), int(done)


def _is_memory(dbapi_connection: Any) -> bool:
    cursor = dbapi_connection.cursor()
    rows = cursor.execute("PRAGMA database_list").fetchall()
    cursor.close()
    return any(row[1] == "main" and not row[2] for row in rows)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


# The PostgreSQL advisory lock that migrations hold ("slabotdb" as a number): processes that
# upgrade the same database at once (two `slabot db upgrade`, replicas starting together) take
# turns, and the later ones find the schema current instead of creating the same tables again.
MIGRATION_LOCK = 0x736C61626F746462


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent; safe to run from several processes).

    On PostgreSQL one connection holds ``MIGRATION_LOCK`` while the migrations run on another:
    concurrent upgrades wait for each other. SQLite needs nothing: the migration's write
    transaction holds the file's lock.
    """
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        lock.commit()  # a session lock: held across transactions, not idle in one meanwhile
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            try:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                lock.commit()
            except DBAPIError:  # the connection is gone, and its lock with it
                lock.invalidate()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits at the end of the block, or rolls back on an error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
