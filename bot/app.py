"""The composition root: one asyncio loop with the transports, the timer runner and delivery.

A platform adapter contributes two things: a :class:`~bot.outbox.Transport` that sends and
edits messages, and a receiving side (long polling, webhooks, Socket Mode) that turns payloads
into neutral events and hands them to :meth:`BotApp.handle`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.delivery_loop import DeliveryLoop
from bot.inbox import KEPT, Inbox, Split, forget_handled
from bot.metrics import HANDLER_LATENCY
from bot.offload import database_work
from bot.outbox import Transport
from bot.outbox_delivery import CONCURRENCY, LEASE
from bot.timers import TimerRunner
from handlers.types import Inbound, Reply
from sla.db import checkpoint, checkpoint_in_background

log = logging.getLogger(__name__)
# How often a SQLite log is copied back into the database file: at most about a second of
# writes waits in it.
CHECKPOINT_SECONDS = 1.0
Service = Callable[["BotApp"], Awaitable[None]]


class BotApp:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] | None = None,
        sweep_seconds: float = 30.0,
        outbox_lease: timedelta = LEASE,
        delivery_chats: int = CONCURRENCY,
        forget_seconds: float = 3600.0,
    ) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.transports: dict[str, Transport] = {}
        self.inbox = Inbox(engine, self.clock, on_queued=self._queued)
        self.delivery = DeliveryLoop(
            engine, self.transports, self.clock, lease=outbox_lease, concurrency=delivery_chats
        )
        self.timers = TimerRunner(
            engine, sweep_seconds=sweep_seconds, after_firing=self._after_firing
        )
        self.forget_seconds = forget_seconds
        self._tasks: list[asyncio.Task[None]] = []

    def add_transport(self, transport: Transport) -> None:
        self.transports[transport.platform] = transport

    async def handle(
        self,
        event: Inbound,
        *,
        dedupe: str | None = None,
        keep_origin: bool = False,
        inline: Callable[[Reply], bool] | None = None,
        split: Split | None = None,
        reachable: Sequence[str] = (),
    ) -> list[Reply]:
        """Handle one inbound event (its database work where :mod:`bot.offload` says: a worker
        thread on PostgreSQL, the loop on SQLite); inline replies come back
        (with ``keep_origin``, every reply to the origin; with ``inline``, those it accepts;
        ``split`` readdresses some; ``reachable`` chats are written to again: see
        :meth:`Inbox.process`)."""
        started = time.perf_counter()
        try:
            return await database_work(
                self.engine,
                self.inbox.process,
                event,
                dedupe=dedupe,
                keep_origin=keep_origin,
                inline=inline,
                split=split,
                reachable=reachable,
            )
        finally:
            HANDLER_LATENCY.labels(event.user.platform).observe(time.perf_counter() - started)

    def _queued(self) -> None:
        # Called where the handling ran (a worker thread, or the loop): back onto the loop.
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self.delivery.poke)
            loop.call_soon_threadsafe(self.timers.poke)

    async def _after_firing(self) -> None:
        self.delivery.poke()

    _loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Start delivery and timers in the running loop."""
        self._loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.create_task(self.delivery.run(), name="delivery"))
        self._tasks.append(asyncio.create_task(self._forget_handled(), name="forget"))
        if checkpoint_in_background(self.engine):
            self._tasks.append(asyncio.create_task(self._checkpoints(), name="checkpoints"))
        self.timers.start()

    async def _checkpoints(self) -> None:
        """Every ``CHECKPOINT_SECONDS``, the SQLite log back into the file, in a thread of its
        own so that its fsync holds up no handling (:func:`sla.db.checkpoint_in_background`)."""
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            try:
                await asyncio.to_thread(checkpoint, self.engine)
            except Exception:  # the next round tries again
                log.warning("could not checkpoint the database", exc_info=True)

    async def _forget_handled(self) -> None:
        """Every ``forget_seconds``, drop the marks of events handled before ``KEPT`` ago
        (:data:`bot.inbox.KEPT` says why they must go)."""
        while True:
            try:
                before = self.clock() - KEPT
                forgotten = await asyncio.to_thread(forget_handled, self.engine, before)
                if forgotten:
                    log.info("forgot %d events handled before %s", forgotten, before.isoformat())
            except Exception:  # the database away: the next round tries again
                log.warning("could not forget old handled events", exc_info=True)
            await asyncio.sleep(self.forget_seconds)

    async def stop(self) -> None:
        """Stop timers, send what is in hand, then stop delivery."""
        self.timers.shutdown()
        await self.delivery.drain()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
