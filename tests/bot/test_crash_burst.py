"""A burst of reports through ``slabot run`` (Telegram webhook) with the process SIGKILLed at
random points and restarted: no report lost, none filed twice, every message in its chat once
and in order, except the messages Telegram had taken when a kill came before the bot heard so,
which are sent again, and marked so (issue #8). The harness and what it checks:
``tests/bot/burst.py``; the full 1,000 reports: ``benchmarks/bench_crash_burst.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bot.burst import KINDS, Outcome, run_burst
from tests.conftest import POSTGRES_URL, postgres_available


def check(outcome: Outcome, kills: int) -> None:
    context = f"{outcome.summary()}\n--- bot log ---\n{outcome.log_tail}"
    assert len(outcome.kills) == kills and set(outcome.kinds()) == set(KINDS), context
    assert outcome.problems() == [], context


async def test_a_burst_on_sqlite_killed_at_random_points(tmp_path: Path) -> None:
    """40 reports from 20 people at once; the bot is killed four times: while handling an
    update, at a random moment, and the instant Telegram took a message from it."""
    outcome = await run_burst(
        reports=40, reporters=20, kills=4, seed=8, database="sqlite", workdir=tmp_path
    )
    check(outcome, kills=4)


@pytest.mark.postgres
async def test_a_burst_on_postgresql_killed_at_random_points(tmp_path: Path) -> None:
    """The same on PostgreSQL (a private schema): 20 reports from 10 people, three kills."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        pytest.skip("no PostgreSQL server to test against")
    outcome = await run_burst(
        reports=20, reporters=10, kills=3, seed=3, database=POSTGRES_URL, workdir=tmp_path
    )
    check(outcome, kills=3)
