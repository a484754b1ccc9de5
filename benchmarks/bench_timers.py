"""Durable timers at scale: sweep cost, firing lag and memory, 100,000 open incidents (issue #4).

Run from the repository root::

    python benchmarks/bench_timers.py                       # SQLite, 100,000 open incidents
    python benchmarks/bench_timers.py --open 10000          # the same with fewer open ones
    python benchmarks/bench_timers.py --db postgres         # on PostgreSQL (a private schema)

Set-up (not timed): a fresh database migrated with Alembic, the demo directory imported, then
``--open`` open incidents spread over the five demo customers (one per seed policy), bulk-inserted
with SQLAlchemy Core. Each was reported in the last two days with a resolution target of 4 h to
5 days (and, for the 60 % not yet acknowledged, a response target of a quarter of it); its timers
are the ones ``sla.schedule`` plans: reminders at 50/75/90 %, the breach, and escalation steps to
levels 2 and 3 one target later each. Those whose moment has passed are stored as fired, the rest
pending (none within the next hour, so only the timers the benchmark adds fall due).

(a) **Sweep cost.** K due timers (K = 0, 10, 100, 1000; reminders, breaches and escalation steps
of Klik incidents, which fire at any hour) are added among all the pending ones, then
``bot.timers.fire_all_due`` fires them: claim (``UPDATE ... RETURNING``), log the event, write
the messages to the outbox, escalate, commit, in batches of 200. Also timed alone: one
``claim_due`` (rolled back) and ``next_due``. Median of 5 runs each. ``EXPLAIN QUERY PLAN`` of
both statements must use the partial index ``ix_timer_pending_due``.

(b) **Firing lag.** A child process runs the real ``TimerRunner`` (APScheduler
``AsyncIOScheduler``, the default 30 s sweep) on the same database in real time while
``--lag-timers`` timers fall due at random moments over ``--lag-seconds``. Lag is measured two
ways per timer: *claimed* = ``fired_at - due_at`` as stored, and *committed* = when the
transaction that wrote its messages to the outbox committed, minus ``due_at``.

(c) **Memory.** Peak RSS of that child (a bot process with 100,000 open incidents firing
timers), and tracemalloc's peak during one sweep of K = 1000 in the parent.

Goals (issue #4): firing lag p99 under 1 s; sweep cost proportional to the due timers, not to
the open ones; report the memory used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    import sla  # noqa: F401
except ImportError:  # run from a checkout without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import bot.timers
from bot.timers import TimerRunner, claim_due, fire_all_due, next_due
from sla.db import make_engine, session_scope, upgrade
from sla.directory_file import import_directory, parse_directory
from sla.models import Contact, Customer, Incident, Timer
from sla.policy import builtin_policy

DEMO_DIRECTORY = Path(__file__).resolve().parents[1] / "bot" / "console" / "demo.yaml"
POSTGRES_URL = os.environ.get(
    "SLABOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SEED = 4
CHUNK = 5_000
MARGIN = timedelta(hours=1)  # no pending timer of the population falls due this soon
POINTS = (0.5, 0.75, 0.9, 1.0, 2.0, 3.0)  # reminders, breach, escalation steps to levels 2, 3
TARGETS = (4, 8, 24, 72, 120)  # resolution targets in hours
KS = (0, 10, 100, 1000)
RUNS = 5
DUE_CUSTOMER = "scholengroep"  # Klik: reminders are not held for office hours
GOAL_LAG = 1.0
INCIDENT = Incident.metadata.tables["incident"]
TIMER = Timer.metadata.tables["timer"]


# --------------------------------------------------------------------------- set-up


def populate(engine: Engine, open_count: int, now: datetime) -> dict[str, int]:
    """Bulk-insert the open incidents and their timers; returns counts."""
    rng = random.Random(SEED)
    with Session(engine) as session:
        customers = list(session.exec(select(Customer).order_by(col(Customer.id))))
        reporters = {
            c.id: session.exec(select(Contact.id).where(Contact.customer_id == c.id)).first()
            for c in customers
        }
    priorities = {c.id: list(builtin_policy(c.policy).doc.priorities)[-1] for c in customers}
    pending = fired = 0
    number = itertools.count(1)
    with engine.begin() as conn:
        for start in range(0, open_count, CHUNK):
            incidents: list[dict[str, Any]] = []
            timers: list[dict[str, Any]] = []
            for incident_id in range(start + 1, min(start + CHUNK, open_count) + 1):
                customer = customers[incident_id % len(customers)]
                reported = now - timedelta(seconds=rng.randrange(2 * 86400))
                target = timedelta(hours=rng.choice(TARGETS))
                acknowledged = rng.random() < 0.4
                incidents.append(
                    {
                        "id": incident_id,
                        "ref": f"BENCH-{next(number)}",
                        "customer_id": customer.id,
                        "reporter_id": reporters[customer.id],
                        "request_type": "incident",
                        "proposed_priority": priorities[customer.id],
                        "priority": priorities[customer.id],
                        "answers": {},
                        "fields": {},
                        "status": "acknowledged" if acknowledged else "open",
                        "language": customer.language or "en",
                        "escalation_level": 0,
                        "reported_at": reported,
                        "acknowledged_at": reported if acknowledged else None,
                        "response_due": None if acknowledged else reported + target / 4,
                        "resolution_due": reported + target,
                    }
                )
                for name, span in (("resolution", target), ("response", target / 4)):
                    if name == "response" and acknowledged:
                        continue
                    for point in POINTS:
                        at = reported + span * point
                        if now < at <= now + MARGIN:
                            continue  # would fall due during the benchmark
                        kind = "reminder" if point < 1 else "breach" if point == 1 else "escalation"
                        done = at <= now
                        fired += done
                        pending += not done
                        timers.append(
                            {
                                "incident_id": incident_id,
                                "kind": kind,
                                "target": name,
                                "point": point,
                                "level": 0 if point < 1 else int(point),
                                "due_at": at,
                                "fired_at": at if done else None,
                                "late": False,
                            }
                        )
            conn.execute(insert(INCIDENT), incidents)
            conn.execute(insert(TIMER), timers)
    return {"open": open_count, "pending": pending, "fired": fired}


@contextlib.contextmanager
def sqlite_database() -> Iterator[tuple[Engine, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-timers-") as folder:
        url = f"sqlite:///{Path(folder) / 'slabot.sqlite3'}"
        engine = make_engine(url)
        try:
            yield engine, url
        finally:
            engine.dispose()


@contextlib.contextmanager
def postgres_database() -> Iterator[tuple[Engine, str]]:
    """A private schema on the test server, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine, f"{POSTGRES_URL}#{schema}"
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def engine_for(url: str) -> Engine:
    """The child's engine for a URL from :func:`sqlite_database` or :func:`postgres_database`."""
    if "#" in url:
        base, schema = url.split("#", 1)
        return make_engine(base, connect_args={"options": f"-csearch_path={schema}"})
    return make_engine(url)


def prepare(engine: Engine, open_count: int, now: datetime) -> dict[str, int]:
    upgrade(engine)
    with session_scope(engine) as session:
        import_directory(session, parse_directory(yaml.safe_load(DEMO_DIRECTORY.read_text())))
    counts = populate(engine, open_count, now)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return counts


class DueIncidents:
    """Hands out open Klik incidents for the timers made due: each once, while they last."""

    def __init__(self, engine: Engine) -> None:
        with Session(engine) as session:
            query = select(Incident.id).where(Incident.customer_id == DUE_CUSTOMER)
            ids = [i for i in session.exec(query.order_by(col(Incident.id))) if i is not None]
        random.Random(SEED).shuffle(ids)
        self._ids = itertools.cycle(ids)

    def take(self, n: int) -> list[int]:
        return list(itertools.islice(self._ids, n))


def add_due(engine: Engine, incidents: list[int], moments: list[datetime]) -> None:
    """One timer per incident at each moment: reminders, breaches and escalation steps."""
    kinds = itertools.cycle(
        (("reminder", 0.5, 0), ("reminder", 0.75, 0), ("breach", 1.0, 1), ("escalation", 2.0, 2))
    )
    rows = []
    for incident_id, at in zip(incidents, moments, strict=True):
        kind, point, level = next(kinds)
        rows.append(
            {
                "incident_id": incident_id,
                "kind": kind,
                "target": "resolution",
                "point": point,
                "level": level,
                "due_at": at,
                "fired_at": None,
                "late": False,
            }
        )
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(TIMER), rows)


# --------------------------------------------------------------------------- (a) sweep


def query_plans(engine: Engine, now: datetime) -> dict[str, str]:
    """EXPLAIN of the claim's UPDATE and of next_due's SELECT, as the application sends them."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("UPDATE TIMER", "SELECT MIN(TIMER.DUE_AT)")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            claim_due(session, now)
            session.rollback()
        next_due(engine)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = {}
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for name, (statement, params) in zip(("claim", "next_due"), seen, strict=True):
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            cursor = conn.connection.cursor()
            cursor.execute(prefix + statement, params)
            rows = cursor.fetchall()
            cursor.close()
            plans[name] = "\n".join(" ".join(str(c) for c in row[-1:]) for row in rows)
        conn.rollback()
    return plans


def sweep(engine: Engine, due: DueIncidents, now: datetime) -> list[dict[str, float]]:
    """Median timings of fire_all_due, claim_due alone and next_due, for each K."""
    results = []
    moment = now - timedelta(seconds=30)
    for k in KS:
        firing, claim, upcoming = [], [], []
        for _ in range(RUNS):
            add_due(engine, due.take(k), [moment] * k)
            started = time.perf_counter()
            with Session(engine) as session:
                assert len(claim_due(session, now, limit=max(k, 1))) == k
                session.rollback()
            claim.append(time.perf_counter() - started)
            started = time.perf_counter()
            next_due(engine)
            upcoming.append(time.perf_counter() - started)
            started = time.perf_counter()
            fired = fire_all_due(engine, now)
            firing.append(time.perf_counter() - started)
            assert fired == k, (fired, k)
        results.append(
            {
                "k": k,
                "fire": statistics.median(firing),
                "claim": statistics.median(claim),
                "next_due": statistics.median(upcoming),
            }
        )
    return results


def traced_sweep(engine: Engine, due: DueIncidents, now: datetime, k: int) -> int:
    add_due(engine, due.take(k), [now - timedelta(seconds=30)] * k)
    tracemalloc.start()
    try:
        assert fire_all_due(engine, now) == k
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- (b) lag, child


def child(url: str, expected: int, timeout: float) -> None:
    """Run the real TimerRunner until ``expected`` timers fired; print JSON with what it saw."""
    engine = engine_for(url)
    committed: dict[int, float] = {}  # timer id -> wall time its firing committed
    claimed: list[tuple[int, datetime]] = []
    original_claim, original_fire = bot.timers.claim_due, bot.timers.fire_due

    def claim_spy(session: Session, now: datetime | None, limit: int = bot.timers.BATCH) -> Any:
        timers = original_claim(session, now, limit)
        claimed.extend((t.id or 0, t.due_at) for t in timers)
        return timers

    def fire_spy(engine: Engine, now: datetime | None = None, limit: int = bot.timers.BATCH) -> int:
        del claimed[:]
        count = original_fire(engine, now, limit)
        moment = time.time()
        for timer_id, _ in claimed:
            committed[timer_id] = moment
        return count

    bot.timers.claim_due, bot.timers.fire_due = claim_spy, fire_spy
    idle_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # imported, engine made
    started = time.time()

    async def main() -> None:
        runner = TimerRunner(engine)
        runner.start()
        try:
            while len(committed) < expected and time.time() - started < timeout:
                await asyncio.sleep(0.2)
        finally:
            runner.shutdown()

    asyncio.run(main())
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"committed": committed, "rss_kib": rss_kib, "idle_kib": idle_kib}))
    engine.dispose()


def lag(engine: Engine, url: str, due: DueIncidents, count: int, seconds: float) -> dict[str, Any]:
    """Timers falling due over ``seconds`` from shortly after the child starts; lag figures."""
    rng = random.Random(SEED)
    start = datetime.now(UTC) + timedelta(seconds=5)  # the child needs a moment to start
    moments = sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(count))
    incidents = due.take(count)
    add_due(engine, incidents, moments)
    command = [sys.executable, __file__, "--child", url, str(count), str(seconds + 60)]
    done_child = subprocess.run(command, check=True, capture_output=True, text=True)
    if done_child.stderr.strip():
        print("  runner's log:\n    " + done_child.stderr.strip().replace("\n", "\n    "))
    report = json.loads(done_child.stdout.strip().splitlines()[-1])
    committed = {int(k): v for k, v in report["committed"].items()}
    with Session(engine) as session:
        rows = session.exec(
            select(Timer.id, Timer.due_at, Timer.fired_at).where(
                col(Timer.incident_id).in_(incidents), col(Timer.due_at) >= start
            )
        ).all()
    claimed = [(f - d).total_seconds() for _, d, f in rows if f is not None]
    done = [committed[i] - d.timestamp() for i, d, _ in rows if i in committed]
    return {
        "count": count,
        "fired": len(claimed),
        "claimed": claimed,
        "committed": done,
        "rss_kib": report["rss_kib"],
        "idle_kib": report.get("idle_kib", 0),
    }


# --------------------------------------------------------------------------- report


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run(name: str, engine: Engine, url: str, args: argparse.Namespace) -> bool:
    now = datetime.now(UTC)
    print(f"\n== {name}: {args.open:,} open incidents")
    started = time.perf_counter()
    counts = prepare(engine, args.open, now)
    print(
        f"set-up {time.perf_counter() - started:.0f} s: {counts['pending']:,} pending timers"
        f" ({counts['pending'] / args.open:.1f} per open incident), {counts['fired']:,} fired"
    )
    due = DueIncidents(engine)
    plans = query_plans(engine, now)
    uses_index = all("ix_timer_pending_due" in plan for plan in plans.values())
    for key, plan in plans.items():
        print(f"plan of {key}: " + plan.replace("\n", " | "))
    print(f"partial index ix_timer_pending_due used by both: {'yes' if uses_index else 'NO'}")

    print("(a) sweep, median of 5:  K | fire_all_due | per due timer | claim_due | next_due")
    results = sweep(engine, due, now)
    for r in results:
        per = f"{r['fire'] / r['k'] * 1000:6.2f} ms" if r["k"] else "      —  "
        print(
            f"  {r['k']:>5} | {r['fire'] * 1000:9.1f} ms | {per}     |"
            f" {r['claim'] * 1000:6.2f} ms | {r['next_due'] * 1000:5.2f} ms"
        )
    base, top = results[0], results[-1]
    # Proportional to K: the per-timer cost at K = 1000 explains the sweep, K = 0 costs little.
    proportional = base["fire"] < 0.01 and top["fire"] < 2 * top["k"] * (
        (results[-2]["fire"] - base["fire"]) / results[-2]["k"]
    )
    peak = traced_sweep(engine, due, now, 1000)
    print(f"(c) tracemalloc peak during one sweep of K = 1000: {peak / 2**20:.1f} MiB")

    print(f"(b) lag: {args.lag_timers:,} timers due over {args.lag_seconds:.0f} s, real time")
    lagged = lag(engine, url, due, args.lag_timers, args.lag_seconds)
    for what in ("claimed", "committed"):
        values = lagged[what]
        print(
            f"  {what:<9} lag p50 {pct(values, 50) * 1000:7.1f} ms  p99"
            f" {pct(values, 99) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
            f"  ({len(values):,} timers)"
        )
    print(
        f"(c) peak RSS of the runner process: {lagged['rss_kib'] / 1024:.0f} MiB"
        f" ({lagged['idle_kib'] / 1024:.0f} MiB before the runner started: imports, engine)"
    )
    all_fired = lagged["fired"] == lagged["count"] == len(lagged["committed"])
    lag_ok = all_fired and pct(lagged["committed"], 99) < GOAL_LAG
    print(
        f"goals: lag p99 < {GOAL_LAG:.0f} s {'met' if lag_ok else 'NOT met'}"
        f" (all fired: {all_fired}); sweep proportional to due timers, index used:"
        f" {'met' if proportional and uses_index else 'NOT met'}"
    )
    return lag_ok and proportional and uses_index


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open incidents (100,000)")
    parser.add_argument("--lag-timers", type=int, default=3_000, help="timers for (b) (3,000)")
    parser.add_argument("--lag-seconds", type=float, default=20.0, help="over how long (20 s)")
    parser.add_argument(
        "--db", choices=("sqlite", "postgres", "both"), default="sqlite", help="default sqlite"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), float(args.child[2]))
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()} · {platform.machine()} · nproc {os.cpu_count()}"
        f" · SQLite {sqlite3.sqlite_version} · load average {load:.2f}"
    )
    met = True
    if args.db in ("sqlite", "both"):
        with sqlite_database() as (engine, url):
            met = run("SQLite", engine, url, args) and met
    if args.db in ("postgres", "both"):
        with postgres_database() as (engine, url):
            met = run("PostgreSQL", engine, url, args) and met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
