"""Real processes: a timer runner killed with SIGKILL mid-run and restarted, and two runners
on one PostgreSQL, fire every timer exactly once. (A few seconds of real time each.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from sla import service
from sla.db import session_scope
from sla.models import Contact, Customer, IncidentEvent, Timer
from tests.conftest import load_demo_directory

ROOT = Path(__file__).parents[2]


def _incidents(engine: Engine, count: int) -> None:
    """Klik P1 incidents (24x7, never held for office hours)."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        customer = session.get(Customer, "scholengroep")
        reporter = session.exec(select(Contact).where(Contact.handle == "sanne")).one()
        assert customer is not None
        for _ in range(count):
            service.open_incident(
                session=session,
                customer=customer,
                reporter=reporter,
                request_type="incident",
                priority="P1",
                answers={},
                fields={"description": "x"},
                language="nl",
                now=now,
            )


def _spread(engine: Engine, start: datetime, seconds: float) -> int:
    """Put every timer's moment between ``start`` and ``start + seconds``."""
    with session_scope(engine) as session:
        timers = list(session.exec(select(Timer).order_by(col(Timer.id))))
        for number, timer in enumerate(timers):
            timer.due_at = start + timedelta(seconds=seconds * number / len(timers))
            session.add(timer)
        return len(timers)


def _runner(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLABOT_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "timers", "run", "--sweep", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _pending(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Timer.id).where(col(Timer.fired_at).is_(None))).all())


def _wait_until_all_fired(engine: Engine, limit: float) -> None:
    deadline = time.monotonic() + limit
    while _pending(engine) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _pending(engine) == 0, "timers left unfired"


def _fired_once(engine: Engine, total: int) -> None:
    """One reminder or breach event per reminder or breach timer, none twice."""
    with Session(engine) as session:
        timers = session.exec(select(Timer)).all()
        assert len(timers) == total and all(t.fired_at is not None for t in timers)
        events = session.exec(
            select(IncidentEvent).where(col(IncidentEvent.kind).in_(["reminder", "breach"]))
        ).all()
        keys = Counter(
            (e.incident_id, e.kind, e.data["target"], e.data.get("point", 1.0)) for e in events
        )
        assert max(keys.values()) == 1
        expected = sum(1 for t in timers if t.kind in ("reminder", "breach"))
        assert len(events) == expected


def test_sigkill_mid_run_and_restart_fires_each_timer_once(
    sqlite_engine: Engine,
) -> None:
    """Kill -9 while timers are falling due; after a restart each has fired exactly once."""
    load_demo_directory(sqlite_engine)
    _incidents(sqlite_engine, 30)
    total = _spread(sqlite_engine, datetime.now(UTC) + timedelta(seconds=2), 6.0)
    url = str(sqlite_engine.url)
    first = _runner(url)
    deadline = time.monotonic() + 30
    while _pending(sqlite_engine) > total * 0.7 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert 0 < _pending(sqlite_engine) < total, "the kill should land mid-run"
    second = _runner(url)
    try:
        _wait_until_all_fired(sqlite_engine, 30)
    finally:
        second.terminate()
        second.wait(10)
    _fired_once(sqlite_engine, total)


def test_two_runners_on_postgres_fire_2000_due_timers_once(postgres_engine: Engine) -> None:
    """Two processes on one PostgreSQL, 2,000 timers due at once: each fires exactly once."""
    load_demo_directory(postgres_engine)
    _incidents(postgres_engine, 200)
    total = _spread(postgres_engine, datetime.now(UTC) - timedelta(minutes=1), 0.0)
    assert total == 2000
    url = _with_schema(postgres_engine)
    runners = [_runner(url) for _ in range(2)]
    try:
        _wait_until_all_fired(postgres_engine, 60)
    finally:
        for runner in runners:
            runner.terminate()
            runner.wait(10)
    _fired_once(postgres_engine, total)


def _with_schema(engine: Engine) -> str:
    """The engine's URL with its private schema as the search path, for another process."""
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SHOW search_path").scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)
