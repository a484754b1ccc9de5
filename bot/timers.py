"""Driving due timers: claim them atomically, fire them, and write what they say to the outbox.

The database is the source of truth. A due timer is claimed with one ``UPDATE ... RETURNING``
(on PostgreSQL over ``FOR UPDATE SKIP LOCKED`` and against the database clock), and in the same
transaction its event is logged and its messages are written to the outbox: a crash before the
commit fires it again later, a crash after loses nothing, and two replicas never fire it twice.

APScheduler (3.11, ``AsyncIOScheduler``) only wakes the process: at the next due timer and for a
periodic sweep that also picks up timers other replicas created. It keeps no state of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import bindparam, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.metrics import TIMER_LAG
from bot.outbox import enqueue
from handlers import reminders
from sla.db import reading, session_scope
from sla.directory import customer_by_id
from sla.models import OPEN_STATUSES, Incident, Timer, UTCDateTime
from sla.schedule import held_until
from sla.service import policy_of

log = logging.getLogger(__name__)
LATE_AFTER = timedelta(minutes=1)  # a timer fired this long after its moment is marked late
BATCH = 200


def claim_due(session: Session, now: datetime | None, limit: int = BATCH) -> list[Timer]:
    """Mark up to ``limit`` due timers fired and return them (earliest first).

    ``now`` None uses the database's clock on PostgreSQL (replicas may disagree on theirs)
    and the system clock elsewhere.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if now is None and postgres:
        moment: Any = func.timezone("UTC", func.now())
    else:
        moment = bindparam("now", now or datetime.now(UTC), type_=UTCDateTime())
    pending = (
        select(Timer.id)
        .where(col(Timer.fired_at).is_(None))
        .where(col(Timer.due_at) <= moment)
        .order_by(col(Timer.due_at), col(Timer.id))
        .limit(limit)
    )
    if postgres:
        pending = pending.with_for_update(skip_locked=True)
    claim = (
        update(Timer)
        .where(col(Timer.id).in_(pending.scalar_subquery()))
        .values(fired_at=moment)
        .returning(col(Timer.id))
    )
    ids = [row[0] for row in session.execute(claim)]
    if not ids:
        return []
    session.expire_all()
    timers = session.exec(select(Timer).where(col(Timer.id).in_(ids))).all()
    return sorted(timers, key=lambda t: (t.due_at, t.id or 0))


def fire_due(engine: Engine, now: datetime | None = None, limit: int = BATCH) -> int:
    """Claim and fire one batch in one transaction; returns how many timers were claimed."""
    with session_scope(engine) as session:
        timers = claim_due(session, now, limit)
        # The row locks serialise two replicas firing timers of one incident. One query takes
        # them all, in id order (so two replicas cannot deadlock), instead of one per timer.
        ids = sorted({t.incident_id for t in timers})
        if ids:
            lock = select(Incident).where(col(Incident.id).in_(ids)).order_by(col(Incident.id))
            session.exec(lock.with_for_update()).all()
        for timer in timers:
            assert timer.fired_at is not None
            incident = session.get(Incident, timer.incident_id)  # locked and loaded above
            if incident is None or incident.status not in OPEN_STATUSES:
                continue  # no longer open: claimed, so it never fires
            customer = customer_by_id(session, incident.customer_id)
            assert customer is not None
            opening = held_until(policy_of(customer), incident, timer.target, timer.fired_at)
            if opening is not None:
                timer.fired_at, timer.due_at = None, opening  # wait for office hours
                session.add(timer)
                continue
            fired_at = timer.fired_at
            timer.late = fired_at - timer.due_at > LATE_AFTER
            TIMER_LAG.observe(max((fired_at - timer.due_at).total_seconds(), 0.0))
            session.add(timer)
            replies = reminders.fire(session, timer, fired_at, late=timer.late)
            enqueue(session, replies, fired_at, incident_id=incident.id)
        return len(timers)


def fire_all_due(engine: Engine, now: datetime | None = None) -> int:
    """Fire batches until nothing is due."""
    total = 0
    while True:
        claimed = fire_due(engine, now)
        total += claimed
        if claimed < BATCH:
            return total


def next_due(engine: Engine) -> datetime | None:
    with reading(engine) as connection:
        query = select(func.min(Timer.due_at)).where(col(Timer.fired_at).is_(None))
        value = connection.execute(query).scalar_one_or_none()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


class TimerRunner:
    """Fires timers as they fall due, in the bot's asyncio loop."""

    def __init__(
        self,
        engine: Engine,
        *,
        sweep_seconds: float = 30.0,
        after_firing: Callable[[], Awaitable[None]] | None = None,
        poke_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.sweep_seconds = sweep_seconds
        self.after_firing = after_firing
        self.poke_seconds = poke_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._failures = 0
        self._running = self._again = False
        self._wake: datetime | None = None  # when the next wake is scheduled

    def start(self) -> None:
        self.scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self.sweep_seconds,
            id="sweep",
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def poke(self) -> None:
        """Something changed (a new incident): look at the next due time again, within
        ``poke_seconds``. Every handled event pokes; those within that time share one run (a
        run per event cost the bot a fifth of its time under load)."""
        now = datetime.now(UTC)
        soon = now + timedelta(seconds=self.poke_seconds)
        # A wake long past was missed, not pending: schedule one rather than wait for a sweep.
        if self._wake is not None and now - timedelta(seconds=1) < self._wake <= soon:
            return
        self._wake_at(soon)

    async def run_once(self) -> None:
        """Fire everything due (missed timers after downtime included), then sleep till next.

        The database work runs in a thread, so a slow or absent database never stalls the
        loop (chat events, health checks). One run at a time: a wake during a run makes the
        run look again when it is done. When the database is away, try again after 1, 2,
        4 ... seconds (at most a sweep), so timers that fell due meanwhile fire soon after.
        """
        self._wake = None
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            self._again = True
            while self._again:
                self._again = False
                await self._run()
        except asyncio.CancelledError:
            # Stopping mid-run: what was claimed is committed or rolled back in its thread,
            # and what is left fires at the next start. Nothing to report.
            return
        finally:
            self._running = False

    async def _run(self) -> None:
        try:
            fired, upcoming = await asyncio.to_thread(self._fire)
        except Exception:
            self._failures += 1
            delay = min(2.0 ** (self._failures - 1), self.sweep_seconds)
            log.warning(
                "firing timers failed; trying again in %.0f s", delay, exc_info=self._failures == 1
            )
            self._wake_at(datetime.now(UTC) + timedelta(seconds=delay))
            return
        self._failures = 0
        if fired and self.after_firing is not None:
            await self.after_firing()
        if upcoming is not None:
            self._wake_at(upcoming)

    def _fire(self) -> tuple[int, datetime | None]:
        return fire_all_due(self.engine), next_due(self.engine)

    def _wake_at(self, moment: datetime) -> None:
        if not self.scheduler.running:
            return
        self._wake = max(moment, datetime.now(UTC))
        self.scheduler.add_job(
            self.run_once,
            "date",
            run_date=self._wake,
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
            # A run schedules the next wake before it returns. When that timer is already due
            # (firing took longer than the gap to it), APScheduler counts the run as still going
            # and, with one instance allowed, skipped the wake: the timers then waited for the
            # next sweep, up to 30 s late. A second instance during a run only asks it to look
            # again (see run_once).
            max_instances=2,
        )
