"""SQLite engines: threads of one process take turns at the write lock, and always hand it on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from sla.db import (
    checkpoint,
    checkpoint_in_background,
    make_engine,
    reading,
    session_scope,
)

WAIT = 10.0  # far below the 30 s a turn not handed on would keep the next one waiting


@pytest.fixture
def counter(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


def _in_thread(work: object) -> threading.Thread:
    thread = threading.Thread(target=work)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_many_threads_write_in_turn_and_none_is_refused(counter: Engine) -> None:
    """Eight threads incrementing through read-modify-write transactions lose no update and
    meet no "database is locked"."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(40):
                with session_scope(counter) as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as error:
            errors.append(error)

    threads = [_in_thread(work) for _ in range(8)]
    for thread in threads:
        thread.join(WAIT * 3)
    assert errors == []
    assert _count(counter) == 8 * 40


@pytest.mark.parametrize("ending", ["commit", "rollback", "error", "read only", "closed"])
def test_the_turn_is_handed_on_however_a_transaction_ends(counter: Engine, ending: str) -> None:
    """After a commit, a rollback, a failed block, a read, or a connection closed outright,
    another thread's transaction goes ahead at once instead of waiting out the timeout."""
    if ending == "error":
        with pytest.raises(ZeroDivisionError), session_scope(counter) as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
            _ = 1 / 0
    elif ending == "closed":
        conn = counter.connect()
        conn.execute(text("UPDATE counter SET n = n + 1"))
        conn.invalidate()  # the DBAPI connection is closed, not returned
        conn.close()
    else:
        with counter.connect() as conn:
            if ending == "read only":
                conn.execute(text("SELECT n FROM counter"))
            else:
                conn.execute(text("UPDATE counter SET n = n + 1"))
                (conn.commit if ending == "commit" else conn.rollback)()
    done = threading.Event()

    def other() -> None:
        with session_scope(counter) as session:
            session.execute(text("UPDATE counter SET n = n + 10"))
        done.set()

    thread = _in_thread(other)
    assert done.wait(WAIT), "the next transaction is still waiting for the turn"
    thread.join()
    assert _count(counter) == (11 if ending == "commit" else 10)


def test_a_reader_neither_waits_for_a_writer_nor_holds_one_up(counter: Engine) -> None:
    """``reading`` sees the last committed state while another thread holds the write turn in
    an open transaction, and a writer goes ahead while a reader's transaction is open."""
    writing, release = threading.Event(), threading.Event()

    def writer() -> None:
        with session_scope(counter) as session:
            session.execute(text("UPDATE counter SET n = 5"))
            writing.set()
            release.wait(WAIT)

    thread = _in_thread(writer)
    assert writing.wait(WAIT)
    seen: list[int] = []
    reader = _in_thread(lambda: seen.append(_read(counter)))
    reader.join(WAIT)
    alive = reader.is_alive()
    release.set()
    thread.join(WAIT)
    assert not alive and seen == [0]  # answered at once, from before the open write

    with reading(counter) as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 5
        wrote = _in_thread(lambda: _set(counter, 7))
        wrote.join(WAIT)
        assert not wrote.is_alive()
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 5  # snapshot
    assert _count(counter) == 7


def _read(engine: Engine) -> int:
    with reading(engine) as connection:
        return int(connection.execute(text("SELECT n FROM counter")).scalar_one())


def _set(engine: Engine, n: int) -> None:
    with session_scope(engine) as session:
        session.execute(text("UPDATE counter SET n = :n"), {"n": n})


def _write_pages(engine: Engine, batches: int) -> None:
    """About 100 pages of 4 KiB a batch, each batch its own transaction."""
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
    for _ in range(batches):
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO filler SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS "
                "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT i FROM n)"
            )


@pytest.mark.parametrize("background", [False, True])
def test_checkpoints_inside_commits_or_in_the_background(tmp_path: Path, background: bool) -> None:
    """By default a commit that finds the log over 1,000 pages copies it back (with an fsync,
    inside the write lock): 3,000 pages written leave a log of at most about 1,100 frames.
    After ``checkpoint_in_background`` no commit does: the log holds all 3,000 until
    ``checkpoint`` copies them back, without waiting for anyone."""
    engine = make_engine(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    if background:
        assert checkpoint_in_background(engine)
    _write_pages(engine, 30)
    busy, frames, done = checkpoint(engine)
    assert busy == 0 and done == frames
    assert (frames > 3000) if background else (frames < 1200)
    engine.dispose()


def test_nothing_to_checkpoint_in_memory() -> None:
    """A database in memory has no log: nothing is turned off."""
    engine = make_engine("sqlite://")
    assert not checkpoint_in_background(engine)
    engine.dispose()
