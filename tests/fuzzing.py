"""What the fuzz tests share: how many examples each runs, their settings, what to send, and
the checks that nothing failed on the side (an error in the log, a task still running).

How many examples: CI runs :data:`CI_EXAMPLES`, what fits its time budget (about a minute and a
half for all of them). ``SLABOT_FUZZ_EXAMPLES`` sets the total instead, shared out in the same
proportions; the full run of the issue (#8) is::

    SLABOT_FUZZ_EXAMPLES=10000 python -m pytest -q tests/handlers/test_fuzz.py \
        tests/bot/slack/test_fuzz.py tests/bot/telegram/test_fuzz.py

Examples are derandomized (the same on every run, so CI is not flaky) and have no deadline
(a shared machine is sometimes slow; a hang still fails through the tests' own timeouts).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ENV = "SLABOT_FUZZ_EXAMPLES"
# Per example (CPU): the handlers ~15 ms; a request to the Slack endpoint or the Telegram webhook
# ~25 ms (the request, the listener, the database, the fake platform, delivery, generating it).
# On a busy two-core machine the wall clock is about twice that (BENCHMARKS.md, "Fuzzing").
CI_EXAMPLES = {
    "handlers": 1500,  # tests/handlers/test_fuzz.py
    "slack": 600,  # tests/bot/slack/test_fuzz.py
    "slack_forged": 100,
    "telegram": 500,  # tests/bot/telegram/test_fuzz.py
    "telegram_secret": 100,
}


def examples(name: str) -> int:
    """How many examples the fuzz test ``name`` runs (its share of ``SLABOT_FUZZ_EXAMPLES``)."""
    total = os.environ.get(ENV)
    if not total:
        return CI_EXAMPLES[name]
    return max(1, round(int(total) * CI_EXAMPLES[name] / sum(CI_EXAMPLES.values())))


def fuzz_settings(name: str) -> settings:
    """Deterministic, no deadline, one fixture (a running bot) shared by all examples."""
    return settings(
        max_examples=examples(name),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            # One bot (or database) takes all the examples of a test: that is the point, it
            # must survive them all, so a fixture not set up anew per example is right here.
            HealthCheck.function_scoped_fixture,
            # Each example is a real request through a real server: slow by design.
            HealthCheck.too_slow,
            # Nested junk now and then outgrows hypothesis' buffer; that draw is skipped.
            HealthCheck.data_too_large,
        ],
    )


# -- what to send --------------------------------------------------------------------------------

free_text = st.text(max_size=300)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(),
    st.text(max_size=20),
)
junk: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
json_ish = st.one_of(
    junk.map(json.dumps),
    st.sampled_from(['{"s":', "{", "[", "null", '"', "{}", "[]", '{"s": 1}', "NaN", "1e999"]),
    st.text(max_size=40),
)
_MISSING = object()


class Mangled(dict[str, Any]):
    """A dict from :func:`mangled`; ``intact`` if nothing in it (or in what it holds) was."""

    intact = True


def intact(value: Any) -> bool:
    """Whether a drawn value (a :class:`Mangled` dict, a list of them) came out as meant."""
    if isinstance(value, Mangled):
        return value.intact
    if isinstance(value, dict):
        return all(intact(item) for item in value.values())
    if isinstance(value, list):
        return all(intact(item) for item in value)
    return True


@st.composite
def mangled(
    draw: st.DrawFn,
    fields: dict[str, st.SearchStrategy[Any]],
    *,
    optional: tuple[str, ...] = (),
    junk_values: st.SearchStrategy[Any] = junk,
) -> Mangled:
    """A dict shaped like ``fields`` (those in ``optional`` there or not): mostly just right,
    else with a few fields missing or junk; unknown fields (``x-…``) may come along. Its
    ``intact`` says whether all is right, nested dicts included."""
    keys = sorted(fields)
    broken = frozenset[str]()
    if draw(st.sampled_from([False, False, False, True]), label="broken"):
        broken = draw(st.frozensets(st.sampled_from(keys), min_size=1, max_size=2), label="which")
    extra = draw(st.dictionaries(st.text(max_size=8), junk_values, max_size=1), label="unknown")
    made = Mangled({f"x-{k}": v for k, v in extra.items()})
    made.intact = not broken
    for key, strategy in fields.items():
        if key in broken:
            if draw(st.booleans(), label=f"{key} junk"):
                made[key] = draw(junk_values, label=key)
        elif key not in optional or draw(st.booleans(), label=f"{key} there"):
            made[key] = value = draw(strategy, label=key)
            made.intact = made.intact and intact(value)
    return made


# -- what must not have happened -----------------------------------------------------------------


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()}\n{self.format_exc(r)}" for r in self.records]
        self.records.clear()
        return found

    @staticmethod
    def format_exc(record: logging.LogRecord) -> str:
        if not record.exc_info:
            return ""
        return logging.Formatter().formatException(record.exc_info)


@contextmanager
def logged_errors() -> Iterator[_Errors]:
    """Collect every ERROR (and worse) logged anywhere: each one is a bug the fuzz found."""
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _serving(task: asyncio.Task[Any]) -> bool:
    """An aiohttp server's task for one connection: it lives as long as the connection is kept
    alive, waiting for the next request. A request in flight on it has a client task waiting."""
    return getattr(task.get_coro(), "__qualname__", "") == "RequestHandler.start"


async def settled(before: set[asyncio.Task[Any]], timeout: float = 10.0) -> None:
    """Wait until every task started since ``before`` was taken has finished (listeners run on
    after Slack's request was answered; their HTTP calls to the fakes too), except the servers'
    kept-alive connections."""
    me = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        pending = {t for t in asyncio.all_tasks() if t not in before and t is not me}
        pending = {t for t in pending if not t.done() and not _serving(t)}
        if not pending:
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"still running after {timeout} s: {pending}")
        await asyncio.wait(pending, timeout=remaining)
