"""Prometheus metrics and the health endpoints, on a local port.

Counters and histograms are updated where things happen (handling, firing, delivery); the
gauges that describe the database (open incidents, outbox backlog) are read at scrape time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from sla.models import OPEN_STATUSES, Incident, OutboxMessage, Timer

REGISTRY = CollectorRegistry()
HANDLER_LATENCY = Histogram(
    "slabot_handler_seconds",
    "Time to handle one inbound event",
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


class DatabaseGauges:
    """Open incidents, outbox backlog and pending timers, read when Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with Session(self.engine) as session:
            open_count = session.execute(
                select(func.count())
                .select_from(Incident)
                .where(col(Incident.status).in_([s.value for s in OPEN_STATUSES]))
            ).scalar_one()
            backlog = session.execute(
                select(OutboxMessage.status, func.count())
                .where(col(OutboxMessage.status) != "sent")  # sent rows only grow
                .group_by(col(OutboxMessage.status))
            ).all()
            pending_timers = session.execute(
                select(func.count()).select_from(Timer).where(col(Timer.fired_at).is_(None))
            ).scalar_one()
        yield GaugeMetricFamily(
            "slabot_open_incidents", "Incidents not resolved or closed", value=open_count
        )
        outbox = GaugeMetricFamily(
            "slabot_outbox_messages", "Outbox messages by status", labels=["status"]
        )
        for status, count in backlog:
            if status != "sent":
                outbox.add_metric([status], count)
        yield outbox
        yield GaugeMetricFamily(
            "slabot_pending_timers", "Timers waiting to fire", value=pending_timers
        )

    def describe(self) -> list[Any]:
        return []


def health_app(engine: Engine, ready: dict[str, bool]) -> web.Application:
    """``/healthz`` (the process runs), ``/readyz`` (database answers, transports started),
    ``/metrics`` (Prometheus)."""
    registry = CollectorRegistry()
    registry.register(DatabaseGauges(engine))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def readyz(_: web.Request) -> web.Response:
        try:  # off the loop: a database that does not answer must not stall the bot
            await asyncio.to_thread(ping)
        except Exception:
            return web.json_response({"status": "database unavailable"}, status=503)
        if not all(ready.values()):
            waiting = sorted(name for name, ok in ready.items() if not ok)
            return web.json_response({"status": "starting", "waiting": waiting}, status=503)
        return web.json_response({"status": "ready"})

    async def metrics(_: web.Request) -> web.Response:
        gauges = await asyncio.to_thread(generate_latest, registry)  # queries the database
        body = generate_latest(REGISTRY) + gauges
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
