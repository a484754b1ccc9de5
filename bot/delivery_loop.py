"""The outbox's delivery as a task of the running bot: a round when poked, else every second,
backing off while the database is away (the rounds themselves: :mod:`bot.outbox_delivery`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.failures import summary
from bot.outbox import Transport
from bot.outbox_delivery import BATCH, CONCURRENCY, LEASE, deliver_due

log = logging.getLogger(__name__)


class DeliveryLoop:
    """Delivers the outbox in the bot's asyncio loop: at once when poked, else every second."""

    def __init__(
        self,
        engine: Engine,
        transports: Mapping[str, Transport],
        clock: Callable[[], datetime] | None = None,
        idle_seconds: float = 1.0,
        lease: timedelta = LEASE,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.engine = engine
        self.concurrency = concurrency
        self.transports = transports
        self.clock = clock or (lambda: datetime.now(UTC))
        self.idle_seconds = idle_seconds
        self.lease = lease
        self._wake = asyncio.Event()
        self._stopping = False

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            wait = self.idle_seconds
            try:
                # Whatever is queued meanwhile pokes again; only a full batch may leave more.
                while await self._deliver_due() >= BATCH:
                    pass
                failures = 0
            except Exception:
                # The database away, most likely: back off to 30 s, one traceback per outage.
                failures += 1
                wait = max(wait, min(2.0 ** (failures - 1), 30.0))
                log.warning(
                    "outbox delivery failed; trying again in %.0f s", wait, exc_info=failures == 1
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    async def drain(self, timeout: float = 10.0) -> None:
        """Stop after sending what is due now (used on shutdown). With the database away the
        messages stay in the outbox for the next start: the stop goes on regardless."""
        self._stopping = True
        self._wake.set()
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            try:
                if not await self._deliver_due():
                    return
            except Exception as error:
                log.warning("could not send what is in hand (%s); it stays queued", summary(error))
                return

    async def _deliver_due(self) -> int:
        return await deliver_due(
            self.engine,
            self.transports,
            self.clock(),
            clock=self.clock,
            lease=self.lease,
            concurrency=self.concurrency,
        )
