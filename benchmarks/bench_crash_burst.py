"""A burst of 1,000 Telegram reports through ``slabot run``, SIGKILLed at random points and
restarted (issue #8).

Run from the repository root::

    python benchmarks/bench_crash_burst.py                    # 1,000 reports, 20 kills, SQLite
    python benchmarks/bench_crash_burst.py --db postgres      # the same on PostgreSQL

The harness is the crash-burst test's (``tests/bot/burst.py``, where the kinds of kill and the
checks are described): the bot runs as a real process with Telegram in webhook mode against the
fake Bot API on 127.0.0.1, which posts each update until it is answered 200; ``--reporters``
people file the reports at once, each the whole Telegram conversation; the process is killed
``--kills`` times (a third while handling an update, a third at a random moment, a third the
instant Telegram took a message from it) and restarted at once. Afterwards every report, every
update, every outbox row and every message Telegram shows are checked. Exit status 1 when a
promise was broken.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

try:
    import tests.bot.burst  # noqa: F401
except ImportError:  # run from a checkout without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bot.burst import Outcome, run_burst

POSTGRES_URL = os.environ.get(
    "SLABOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def report(outcome: Outcome, args: argparse.Namespace) -> str:
    back = [k.back_after for k in outcome.kills if k.back_after is not None]
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(outcome.kinds().items()))
    lines = [
        f"machine: {platform.python_version()}, nproc {os.cpu_count()}, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"database: {args.db}; {args.reports} reports from {args.reporters} people; "
        f"seed {args.seed}; outbox lease {args.lease} s",
        f"wall time {outcome.seconds:.1f} s: {outcome.reports / outcome.seconds:.1f} reports/s, "
        f"{outcome.updates / outcome.seconds:.1f} updates/s",
        f"kills: {len(outcome.kills)} ({kinds})",
    ]
    if back:
        lines.append(
            f"back (webhook set again) after a kill: median {statistics.median(back):.2f} s, "
            f"max {max(back):.2f} s"
        )
    lines += [
        f"updates: {outcome.updates} made, {outcome.posts} webhook posts "
        f"({outcome.posts - outcome.updates} posted again), {outcome.handled} handled",
        f"incidents: {len(outcome.incidents)}, distinct refs "
        f"{len({ref for ref, _ in outcome.incidents})}",
        f"outbox: {outcome.rows} messages, {len(outcome.not_sent)} not sent, "
        f"{len(outcome.interrupted)} sent again after an interrupted attempt",
        f"doubled in Telegram: {len(outcome.doubled)} of {outcome.rows} messages",
    ]
    lines += [
        f"  doubled in chat {chat}: {text.splitlines()[0][:70]}" for chat, text in outcome.doubled
    ]
    problems = outcome.problems()
    lines.append("promises broken: " + ("none" if not problems else "; ".join(problems)))
    lines += outcome.mismatches[:10]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--lease", type=float, default=2.0, help="SLABOT_OUTBOX_LEASE_SECONDS")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        outcome = asyncio.run(
            run_burst(
                reports=args.reports,
                reporters=args.reporters,
                kills=args.kills,
                seed=args.seed,
                database="sqlite" if args.db == "sqlite" else POSTGRES_URL,
                workdir=Path(workdir),
                lease_seconds=args.lease,
                step_timeout=120.0,
            )
        )
    print(report(outcome, args))
    return 1 if outcome.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
