"""The health endpoints answer from the start and while the database is away: ``/metrics``
serves the process metrics (with ``slabot_database_up 0``) instead of a 500, and every series
has a sample from the start, so that rates and alerts work before the first event."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import Engine

from bot.metrics import Health, health_app, prepare
from sla.db import make_engine


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_on_closed_port(_: Path) -> Engine:
    return make_engine(f"postgresql+psycopg://slabot@127.0.0.1:{_closed_port()}/slabot")


def _sqlite_not_a_database(tmp_path: Path) -> Engine:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database file, whatever its name says" * 100)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[web.Application], TestClient]]:
    """Serve an application on 127.0.0.1 for one test."""
    clients: list[TestClient] = []

    def start(app: web.Application) -> TestClient:
        client: TestClient = TestClient(TestServer(app))
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


async def _get(client: TestClient, path: str) -> tuple[int, str]:
    async with client.get(path) as response:
        return response.status, await response.text()


async def test_answers_before_the_database_then_with_it(
    client_for: Callable[[web.Application], TestClient], sqlite_engine: Engine
) -> None:
    """Without an engine ``/healthz`` is 200, ``/readyz`` waits for the database and
    ``/metrics`` has the process metrics; given the engine, the database gauges follow."""
    health = Health({"timers": False})
    client = client_for(health.app())
    await client.start_server()

    assert await _get(client, "/healthz") == (200, '{"status": "ok"}')
    async with client.get("/readyz") as response:
        assert response.status == 503
        assert await response.json() == {"status": "starting", "waiting": ["database", "timers"]}
    status, text = await _get(client, "/metrics")
    assert status == 200
    assert "slabot_database_up 0.0" in text
    assert "slabot_timer_lag_seconds_count" in text
    assert "slabot_open_incidents" not in text

    health.engine = sqlite_engine
    async with client.get("/readyz") as response:
        assert response.status == 503
        assert await response.json() == {"status": "starting", "waiting": ["timers"]}
    health.ready["timers"] = True
    async with client.get("/readyz") as response:
        assert response.status == 200
    status, text = await _get(client, "/metrics")
    assert status == 200
    for line in (
        "slabot_database_up 1.0",
        "slabot_open_incidents 0.0",
        "slabot_pending_timers 0.0",
        'slabot_outbox_backlog{status="pending"} 0.0',
        'slabot_outbox_backlog{status="parked"} 0.0',
    ):
        assert line in text.splitlines()


@pytest.mark.parametrize("broken", [_postgres_on_closed_port, _sqlite_not_a_database])
async def test_metrics_without_the_database_are_served_with_one_warning(
    client_for: Callable[[web.Application], TestClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    broken: Callable[[Path], Engine],
) -> None:
    """A database that cannot be read leaves its gauges out, reports ``slabot_database_up 0``
    and logs one warning for the outage, without a traceback, instead of a 500 per scrape."""
    engine = broken(tmp_path)
    client = client_for(health_app({}, engine))
    await client.start_server()
    caplog.set_level(logging.DEBUG)
    try:
        for _ in range(3):
            status, text = await _get(client, "/metrics")
            assert status == 200
            assert "slabot_database_up 0.0" in text.splitlines()
            assert "slabot_handler_latency_seconds" in text and "slabot_open_incidents" not in text
        async with client.get("/readyz") as response:
            assert response.status == 503
    finally:
        engine.dispose()

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelno, r.exc_info) for r in warnings] == [
        ("bot.metrics", logging.WARNING, None)
    ]


async def test_prepared_platforms_are_exported_at_zero(
    client_for: Callable[[web.Application], TestClient],
) -> None:
    """After ``prepare`` a platform's counters and handling histogram have a sample of 0 before
    anything happened on it."""
    client = client_for(Health().app())
    await client.start_server()
    _, before = await _get(client, "/metrics")
    assert 'platform="prepared"' not in before

    prepare(["prepared"])
    _, text = await _get(client, "/metrics")
    lines = text.splitlines()
    for line in (
        'slabot_delivery_failures_total{platform="prepared"} 0.0',
        'slabot_delivery_parked_total{platform="prepared"} 0.0',
        'slabot_delivery_interrupted_total{platform="prepared"} 0.0',
        'slabot_handler_latency_seconds_count{platform="prepared"} 0.0',
    ):
        assert line in lines
