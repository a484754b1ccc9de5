"""Prometheus metrics and the health endpoints, on a local port.

Counters and histograms are updated where things happen (handling, firing, delivery); the
gauges that describe the database (open incidents, outbox backlog) are read at scrape time.
The endpoints answer before the database does and while it is away: ``/metrics`` then serves
the process metrics with ``slabot_database_up 0`` and without the database gauges.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sla.db import reading
from sla.models import OPEN_STATUSES, Incident, OutboxMessage, Timer

log = logging.getLogger(__name__)
REGISTRY = CollectorRegistry()
DATABASE_TIMEOUT = 5.0  # seconds a scrape waits for the database before leaving its gauges out
OUTBOX_STATUSES = ("pending", "parked")  # exported even at 0; sent rows only grow
HANDLER_LATENCY = Histogram(
    "slabot_handler_latency_seconds",
    "Handler latency: time to handle one inbound event",
    ["platform"],
    registry=REGISTRY,
)
TIMER_LAG = Histogram(
    "slabot_timer_lag_seconds",
    "Delay between a timer's moment and its firing",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "slabot_delivery_failures_total",
    "Failed attempts to send a message",
    ["platform"],
    registry=REGISTRY,
)
PARKED = Counter(
    "slabot_delivery_parked_total",
    "Messages parked after failing",
    ["platform"],
    registry=REGISTRY,
)
DELIVERY_INTERRUPTED = Counter(
    "slabot_delivery_interrupted_total",
    "Messages sent again because an earlier attempt stopped without an outcome (may be doubled)",
    ["platform"],
    registry=REGISTRY,
)


def prepare(platforms: Iterable[str]) -> None:
    """Export the per-platform counters and the handling histogram at 0 from the start, so that
    rates and alerts have a series before the first event (Prometheus shows none until then)."""
    for platform in platforms:
        HANDLER_LATENCY.labels(platform)
        DELIVERY_FAILURES.labels(platform)
        PARKED.labels(platform)
        DELIVERY_INTERRUPTED.labels(platform)


def database_gauges(engine: Engine) -> list[Metric]:
    """Open incidents, outbox backlog and pending timers, read now (raises if the database
    cannot be read)."""
    with reading(engine) as connection:
        open_count = connection.execute(
            select(func.count())
            .select_from(Incident)
            .where(col(Incident.status).in_([s.value for s in OPEN_STATUSES]))
        ).scalar_one()
        backlog = connection.execute(
            select(OutboxMessage.status, func.count())
            .where(col(OutboxMessage.status).in_(OUTBOX_STATUSES))  # sent rows only grow
            .group_by(col(OutboxMessage.status))
        ).all()
        pending_timers = connection.execute(
            select(func.count()).select_from(Timer).where(col(Timer.fired_at).is_(None))
        ).scalar_one()
    outbox = GaugeMetricFamily(
        "slabot_outbox_backlog",
        "Outbox backlog: messages waiting to be sent (pending) or given up on (parked)",
        labels=["status"],
    )
    counts = dict.fromkeys(OUTBOX_STATUSES, 0) | {status: n for status, n in backlog}
    for status, count in sorted(counts.items()):
        outbox.add_metric([status], count)
    return [
        GaugeMetricFamily(
            "slabot_open_incidents", "Incidents not resolved or closed", value=open_count
        ),
        outbox,
        GaugeMetricFamily("slabot_pending_timers", "Timers waiting to fire", value=pending_timers),
    ]


def _database_up(up: bool) -> Metric:
    return GaugeMetricFamily(
        "slabot_database_up",
        "1 if the last scrape could read the database, else 0 (its gauges are then left out)",
        value=1 if up else 0,
    )


class _Snapshot:
    """Metric families already read, in the shape ``generate_latest`` takes."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self.metrics


class Health:
    """``/healthz`` (the process runs), ``/readyz`` (database answers, transports started),
    ``/metrics`` (Prometheus).

    Made before the database is reachable: ``engine`` is set once it is open, and until then
    ``/readyz`` waits for ``database`` and ``/metrics`` serves the process metrics only.
    ``ready`` is shared with the caller, who marks each part (transports, timers) started.
    """

    def __init__(self, ready: dict[str, bool] | None = None, engine: Engine | None = None) -> None:
        self.ready: dict[str, bool] = ready if ready is not None else {}
        self.engine: Engine | None = engine
        self._database_was_up = True  # so that the first failure is a warning

    def waiting(self) -> list[str]:
        not_ready = [name for name, ok in self.ready.items() if not ok]
        return sorted([*not_ready, "database"] if self.engine is None else not_ready)

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _: web.Request) -> web.Response:
        engine = self.engine
        if engine is not None:
            try:  # off the loop: a database that does not answer must not stall the bot
                await asyncio.to_thread(_ping, engine)
            except Exception:
                return web.json_response({"status": "database unavailable"}, status=503)
        waiting = self.waiting()
        if waiting:
            return web.json_response({"status": "starting", "waiting": waiting}, status=503)
        return web.json_response({"status": "ready"})

    async def _database_metrics(self) -> list[Metric]:
        engine = self.engine
        if engine is None:
            return [_database_up(False)]
        try:  # off the loop, and bounded: the process metrics must not wait for a lost server
            gauges = await asyncio.wait_for(
                asyncio.to_thread(database_gauges, engine), DATABASE_TIMEOUT
            )
        except Exception as error:
            # Once per outage, without the traceback: every scrape would repeat it.
            level = logging.WARNING if self._database_was_up else logging.DEBUG
            log.log(level, "metrics: database not readable (%s)", type(error).__name__)
            self._database_was_up = False
            return [_database_up(False)]
        if not self._database_was_up:
            log.info("metrics: database readable again")
            self._database_was_up = True
        return [_database_up(True), *gauges]

    async def _metrics(self, _: web.Request) -> web.Response:
        database = _Snapshot(await self._database_metrics())
        body = generate_latest(REGISTRY) + generate_latest(database)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def app(self) -> web.Application:
        """The aiohttp application serving the three endpoints."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app


def _ping(engine: Engine) -> None:
    with reading(engine) as conn:
        conn.execute(text("SELECT 1"))


def health_app(ready: dict[str, bool], engine: Engine | None = None) -> web.Application:
    """The health application for an engine known now (or never: see :class:`Health` to give
    it one later)."""
    return Health(ready, engine).app()
