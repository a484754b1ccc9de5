"""A full intake through the real inbound path, on SQLite (issue #3).

Run from the repository root::

    python benchmarks/bench_intake.py            # 2000 intakes per run after 100 warm-up, 3 runs

Set-up: a fresh SQLite file (WAL, as the bot runs it) migrated with Alembic, the demo directory
(``bot/console/demo.yaml``, one customer per seed policy) imported. Everything runs in one
thread (``--pin`` also pins it to one core); the garbage collector stays on. Each run starts
from a fresh file; the machine may be shared, so the fastest of ``--runs`` is reported in full
(all are listed).

Every event goes through :meth:`bot.inbox.Inbox.process`, what the composition root calls for
each platform event: dedupe on the event's key, :func:`handlers.router.dispatch`, the replies
written to the outbox, all in one committed transaction. The seven demo contacts who may file
(Plek, Pluvo, Klik, Perplex, Infravision) report in turn from their private chat, each with its
own random walk through its policy's questionnaire (fixed seed), chosen before the clock starts.
The injected clock moves 7 minutes per intake (20 s per message), so reports fall inside and
outside office hours, on weekdays and at weekends.

One *intake* is measured three ways, wall-clock (``perf_counter``) around ``Inbox.process``:

* **filing** (chat): the confirmation message (``ja``) that files it: the incident row with its
  number, deadlines and answers, its ``reported`` event (and an RCA problem where the policy
  wants one), its timer rows, the draft deleted, and the replies (the confirmation, one card per
  support channel) written to the outbox; committed.
* **conversation** (chat): the whole intake as a person types it: ``/incident``, every answer
  and field, and the confirmation (4 to 7 events, 5 on average), each its own transaction; its
  latency is the sum over its events. intakes/s = conversations / wall time of the run.
* **form**: the whole questionnaire in one event (``FormSubmit``, what a Slack modal sends):
  checked, filed and answered in one transaction, as in *filing*.

Goal (issue #3): p99 under 10 ms and at least 300 intakes/s on one core.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import sla  # noqa: F401
except ImportError:  # run from a checkout without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.inbox import Inbox
from handlers.types import ChatRef, Command, FormSubmit, Inbound, Text, UserRef
from sla.db import make_engine, session_scope, upgrade
from sla.directory_file import import_directory, parse_directory
from sla.models import Incident, IncidentEvent, OutboxMessage, Timer
from sla.policy import Policy, builtin_policy
from sla.questionnaire import next_step

DEMO_DIRECTORY = Path(__file__).resolve().parents[1] / "bot" / "console" / "demo.yaml"
# The demo contacts whose role may file, and their policy.
REPORTERS = {
    "anna": "plek",
    "karl": "pluvo",
    "greta": "pluvo",
    "sanne": "klik",
    "tim": "klik",
    "petra": "perplex",
    "emma": "infravision",
}
START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 Amsterdam
STEP = timedelta(minutes=7)  # between two intakes
TYPING = timedelta(seconds=20)  # between two messages of one conversation
SEED = 3
GOAL_P99_MS, GOAL_RATE = 10.0, 300.0
WARMUP = 100


@dataclass
class Intake:
    who: str
    messages: list[str]  # the conversation: /incident, the answers, the confirmation
    form: dict[str, str]  # the same answers as a form: question id -> answer id, field id -> text


def script(policy: Policy, who: str, rng: random.Random) -> Intake:
    """A random walk through the questionnaire; answers by number, as people type them."""
    answers: dict[str, str] = {}
    fields: dict[str, str] = {}
    messages = ["/incident"]
    while True:
        step = next_step(policy, answers, fields)
        if step.question is not None and step.question_id is not None:
            index = rng.randrange(len(step.question.answers))
            answers[step.question_id] = step.question.answers[index].id
            messages.append(str(index + 1))
        elif step.field is not None:
            text = f"{step.field.id}: the portal answers 502 since {rng.randrange(60)} minutes"
            fields[step.field.id] = text
            messages.append(text)
        else:
            messages.append("ja")
            return Intake(who, messages, {**answers, **fields})


def scripts(count: int) -> list[Intake]:
    rng = random.Random(SEED)
    people = list(REPORTERS)
    return [
        script(builtin_policy(REPORTERS[people[i % len(people)]]), people[i % len(people)], rng)
        for i in range(count)
    ]


@contextlib.contextmanager
def database() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'slabot.sqlite3'}")
        upgrade(engine)
        with session_scope(engine) as session:
            import_directory(session, parse_directory(yaml.safe_load(DEMO_DIRECTORY.read_text())))
        try:
            yield engine
        finally:
            engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Measured:
    filing: list[float] = field(default_factory=list)  # seconds, per intake
    conversation: list[float] = field(default_factory=list)  # seconds, per intake
    events: list[float] = field(default_factory=list)  # seconds, per event
    cpu: float = 0.0  # this thread's CPU seconds inside Inbox.process
    wall: float = 0.0  # seconds for the whole run, the loop's own work included


def _event(message: str, user: UserRef, chat: ChatRef) -> Inbound:
    if message.startswith("/"):
        return Command(message[1:], "", user, chat)
    return Text(message, user, chat)


def play(inbox: Inbox, clock: Clock, intakes: list[Intake], key: Iterator[int]) -> Measured:
    """Each intake as a chat conversation, one event per message (20 s apart)."""
    measured = Measured()
    started = time.perf_counter()
    for intake in intakes:
        clock.now += STEP
        user = UserRef("console", intake.who, intake.who.title())
        chat = ChatRef("console", intake.who, private=True)
        total = 0.0
        for message in intake.messages:
            clock.now += TYPING
            event = _event(message, user, chat)
            dedupe = str(next(key))
            c0, t0 = time.thread_time(), time.perf_counter()
            inline = inbox.process(event, dedupe=dedupe)
            elapsed = time.perf_counter() - t0
            measured.cpu += time.thread_time() - c0
            assert not inline, inline  # a failure or a refusal comes back inline
            measured.events.append(elapsed)
            total += elapsed
        measured.filing.append(elapsed)  # the last message, the confirmation, files it
        measured.conversation.append(total)
    measured.wall = time.perf_counter() - started
    return measured


def submit(inbox: Inbox, clock: Clock, intakes: list[Intake], key: Iterator[int]) -> Measured:
    """Each intake as one form (a Slack modal): all answers at once, filed in one event."""
    measured = Measured()
    started = time.perf_counter()
    for intake in intakes:
        clock.now += STEP
        user = UserRef("console", intake.who, intake.who.title())
        chat = ChatRef("console", intake.who, private=True)
        event = FormSubmit("intake", intake.form, user, chat)
        dedupe = str(next(key))
        c0, t0 = time.thread_time(), time.perf_counter()
        inline = inbox.process(event, dedupe=dedupe)
        elapsed = time.perf_counter() - t0
        measured.cpu += time.thread_time() - c0
        assert not inline, inline
        measured.events.append(elapsed)
        measured.filing.append(elapsed)
        measured.conversation.append(elapsed)
    measured.wall = time.perf_counter() - started
    return measured


def quantiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": max(values) * 1000,
    }


def line(name: str, values: list[float]) -> str:
    q = quantiles(values)
    return (
        f"  {name:<13} p50 {q['p50']:6.2f} ms  p95 {q['p95']:6.2f} ms  p99 {q['p99']:6.2f} ms"
        f"  max {q['max']:6.2f} ms"
    )


def check(engine: Engine, expected: int) -> tuple[int, int, int]:
    """Everything an intake stores is there: incidents with their events, timers, outbox rows."""
    with Session(engine) as session:
        incidents = session.exec(select(func.count(col(Incident.id)))).one()
        reported = session.exec(
            select(func.count(col(IncidentEvent.id))).where(IncidentEvent.kind == "reported")
        ).one()
        timers = session.exec(select(func.count(col(Timer.id)))).one()
        outbox = session.exec(select(func.count(col(OutboxMessage.id)))).one()
    assert incidents == reported == expected, (incidents, reported, expected)
    assert timers > 0 and outbox > 0
    return incidents, timers, outbox


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned"


def measure(mode: str, intakes: list[Intake], n: int) -> tuple[Measured, float, str]:
    """A fresh database; warm up on the first intakes, then measure the next ``n``."""
    drive = play if mode == "chat" else submit
    with database() as engine:
        clock = Clock()
        inbox = Inbox(engine, clock)
        key = itertools.count(1)
        t0 = time.perf_counter()
        drive(inbox, clock, intakes[:1], key)
        cold = time.perf_counter() - t0
        drive(inbox, clock, intakes[1:WARMUP], key)
        gc.collect()
        measured = drive(inbox, clock, intakes[WARMUP : WARMUP + n], key)
        incidents, timers, outbox = check(engine, WARMUP + n)
    stored = f"stored {incidents} incidents, {timers} timers, {outbox} outbox messages"
    return measured, cold, stored


def report(mode: str, measured: Measured, cold: float, stored: str, n: int) -> bool:
    events = len(measured.events)
    rate = n / measured.wall
    title = "chat conversation" if mode == "chat" else "form submit (Slack modal)"
    print(f"{title}: {n} intakes after {WARMUP} warm-up, {events} events; {stored}")
    print(f"  first intake (cold: catalogues, policies, statements compiled): {cold * 1000:.0f} ms")
    goals = []
    if mode == "chat":
        print(line("filing", measured.filing))
        print(line("conversation", measured.conversation))
        print(line("event", measured.events))
        print(
            f"  rate          {rate:6.0f} intakes/s (whole conversations, wall),"
            f" {n / sum(measured.filing):6.0f} filings/s, {events / measured.wall:6.0f} events/s"
        )
        goals.append(("filing p99", quantiles(measured.filing)["p99"] < GOAL_P99_MS))
        goals.append(("conversation p99", quantiles(measured.conversation)["p99"] < GOAL_P99_MS))
    else:
        print(line("intake", measured.filing))
        print(f"  rate          {rate:6.0f} intakes/s (wall)")
        goals.append(("intake p99", quantiles(measured.filing)["p99"] < GOAL_P99_MS))
    print(
        f"  CPU           {measured.cpu / n * 1000:6.2f} ms per intake,"
        f" {measured.cpu / events * 1000:6.2f} ms per event (thread time inside the handler)"
    )
    goals.append(("intakes/s", rate >= GOAL_RATE))
    print("  goals: " + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in goals))
    return all(ok for _, ok in goals)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="intakes to measure (default 2000)")
    parser.add_argument(
        "--mode", choices=("chat", "form", "both"), default="both", help="default both"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs, the fastest reported (3)")
    parser.add_argument("--pin", action="store_true", help="pin the process to one core")
    args = parser.parse_args()
    pinned = pin_one_core() if args.pin else "one thread, not pinned"
    intakes = scripts(WARMUP + args.n)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()} · {platform.machine()} · nproc {os.cpu_count()}"
        f" · {pinned} · SQLite {sqlite3.sqlite_version} · load average {load:.2f}"
    )
    print(f"goal: p99 < {GOAL_P99_MS:.0f} ms and >= {GOAL_RATE:.0f} intakes/s on one core")
    met = True
    for mode in ("chat", "form") if args.mode == "both" else (args.mode,):
        runs = [measure(mode, intakes, args.n) for _ in range(args.runs)]
        for i, (measured, _, _) in enumerate(runs, 1):
            q = quantiles(measured.filing)
            print(
                f"{mode} run {i}: {args.n / measured.wall:5.0f} intakes/s,"
                f" filing p50 {q['p50']:.2f} ms p99 {q['p99']:.2f} ms"
            )
        # The machine may be shared: noise only adds, so the fastest run is reported in full.
        measured, cold, stored = min(runs, key=lambda run: run[0].wall)
        met = report(mode, measured, cold, stored, args.n) and met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
