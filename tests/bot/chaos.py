"""Seeded failures for the local chat-platform fakes (issue #8).

A :class:`Chaos` decides, call by call, whether a platform call fails and how: a server error
(5xx), a rate limit with the seconds to wait (429), or no answer within the client's time-out.
A time-out either comes before the platform acted (``timeout``: nothing happened, a retry is
safe) or after it (``late``: the message is there, but the client never heard so, and its retry
posts it again; no chat API offers an idempotency key to prevent that). The decisions follow the
seed and the order of the calls, so a run can be repeated.

It also checks what a platform would punish: a call for a chat that was told to wait, made
before that wait was over, is recorded in :attr:`Chaos.early` (the clock is the test's, shared
with the delivery loop).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery_loop import DeliveryLoop
from bot.outbox import Transport
from sla.models import OutboxMessage

Kind = Literal["5xx", "429", "timeout", "late"]
FAILURES: tuple[Kind, ...] = ("5xx", "429", "timeout")


@dataclass(frozen=True)
class Fault:
    """How one call fails: ``status`` for a server error, ``retry_after`` (s) for a 429."""

    kind: Kind
    status: int = 500
    retry_after: int = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Chaos:
    """Fails ``rate`` of the calls to ``methods``, each with one of ``kinds`` at random."""

    seed: int
    methods: frozenset[str]
    rate: float = 0.3
    kinds: tuple[Kind, ...] = FAILURES
    retry_after: tuple[int, int] = (1, 3)
    hold: float = 5.0  # how long an unanswered call is held: longer than the client waits
    clock: Callable[[], datetime] = utc_now
    calls: int = 0
    faults: Counter[Kind] = field(default_factory=Counter)
    not_before: dict[str, datetime] = field(default_factory=dict)
    early: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def decide(self, method: str, chat: str | None) -> Fault | None:
        """The fate of one call to ``method`` for ``chat`` (None: it goes through)."""
        if method not in self.methods:
            return None
        now, key = self.clock(), chat or ""
        waited_for = self.not_before.get(key)
        if waited_for is not None and now < waited_for:
            self.early.append((key, now, waited_for))
        self.calls += 1
        if self.random.random() >= self.rate:
            return None
        kind = self.random.choice(self.kinds)
        self.faults[kind] += 1
        if kind == "429":
            seconds = self.random.randint(*self.retry_after)
            self.not_before[key] = now + timedelta(seconds=seconds)
            return Fault(kind, 429, seconds)
        if kind == "5xx":
            return Fault(kind, self.random.choice((500, 502, 503)))
        return Fault(kind)


class FastClock:
    """The test's clock: starts at ``start`` and runs ``speed`` times as fast as real time, so
    back-off and Retry-After pass quickly while request time-outs stay real."""

    def __init__(self, start: datetime, speed: float) -> None:
        self.start, self.speed = start, speed
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)


async def deliver_everything(
    engine: Engine, transport: Transport, clock: Callable[[], datetime], timeout: float = 60.0
) -> None:
    """Run the bot's delivery loop on ``clock`` until no message is pending any more.

    The garbage collector is collected before and paused meanwhile: the fake platform and the
    bot share this process and its loop, and a full collection of a heap grown over a whole
    test session (hundreds of milliseconds) would outlast the client's real-time time-out of a
    call the fake had answered, which the bot must then count as maybe sent and send again."""
    delivery = DeliveryLoop(engine, {transport.platform: transport}, clock, idle_seconds=0.01)
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    running = asyncio.create_task(delivery.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while _pending(engine):
            assert loop.time() < deadline, f"messages still pending after {timeout} s"
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        if collecting:
            gc.enable()


def _pending(engine: Engine) -> bool:
    with Session(engine) as session:
        query = select(OutboxMessage.id).where(OutboxMessage.status == "pending")
        return session.exec(query).first() is not None
