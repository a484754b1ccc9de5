"""Reports per second over the real endpoints, and the time to the bot's first reply (issue #8).

Run from the repository root::

    python benchmarks/bench_load.py                        # every configuration below
    python benchmarks/bench_load.py --platform slack --db sqlite --rates 10,20,40
    python benchmarks/bench_load.py --db postgres --replicas 2 --platform telegram

Set-up per configuration: a fresh database (a SQLite file, or a PostgreSQL database created for
the run and dropped after), a generated directory of ``--reporters`` registered contact persons
spread over customers of the five seed policies, imported with ``slabot directory import``, and
one or two real ``slabot run`` processes configured from the environment as in production:

* Slack in HTTP mode (``SLACK_SIGNING_SECRET``, ``SLACK_HTTP_PORT``), its Web API
  (``SLACK_API_URL``) served by this script;
* Telegram in webhook mode (``TELEGRAM_WEBHOOK_URL``/``SECRET``/``LISTEN``/``PORT``), its Bot API
  (``TELEGRAM_API_BASE_URL``) served by this script, which posts the updates to the webhook as
  Telegram does: at most ``max_connections`` at a time (what the bot asks for in
  ``setWebhook``; ``--telegram-connections`` overrides it), each until it is answered 200.

With two replicas (PostgreSQL), the requests alternate between the replicas' ports, as a load
balancer would send them (Slack requests and webhook posts alike).

**One report** is a registered reporter's whole intake, the shortest real path of each platform,
answers drawn at random (fixed seed) from the reporter's policy questionnaire:

* Slack: ``/incident`` (signed slash command) → the bot opens the modal (``views.open``) → each
  choice picked in the modal (``block_actions``; the bot calls ``views.update``) → each free-text
  field submitted (``view_submission``; the next view comes back in the response) → "File
  incident" (``view_submission``) → the bot posts the confirmation with the incident's ref to the
  reporter's direct messages (``chat.postMessage``) and the card to the support channel.
* Telegram: ``/incident`` (a message update) → intro and first question (``sendMessage``) → each
  choice pressed (``callback_query``; ``answerCallbackQuery``, ``editMessageText``, the next
  question) → each field typed (a message) → "File" pressed → the confirmation with the ref
  (``sendMessage``) and the card to the support group.

Each reporter acts as soon as the bot's answer is there (no thinking time); new reports start at
the offered rate (Poisson arrivals, fixed seed), so the load is open-loop.

**First reply**: from the moment the reporter files (the final ``view_submission`` is sent; the
"File" press is handed to Telegram's delivery) to the moment the fake API receives the bot's
first ``chat.postMessage`` / ``sendMessage`` to that reporter: the confirmation. Also measured:
each *step* (any request of a report, until the bot's answer to it: a view, a message), and the
whole *report*. Sustained rate = reports filed / (last filing - first arrival) of the phase.

The highest offered rate at which the bot keeps up (sustained ≥ 95 % of offered, no failures)
with first-reply p99 under ``--goal-ms`` (200) is reported per configuration. CPU seconds of each
bot process (``/proc``) and of this script are reported per phase. ``--profile DIR`` records
each phase of the first replica with py-spy (if installed) as collapsed stacks.
``--history N`` starts from a database in service for a while: N messages sent and N inbound
events handled before the run (a busy desk writes some 300,000 messages a year).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

try:
    import sla  # noqa: F401
except ImportError:  # run from a checkout without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load_bots import (
    WEBHOOK_PATH,
    Replica,
    bot_env,
    database,
    fill_history,
    start_replica,
    stop_replicas,
    wait_ready,
)
from load_fakes import Fakes
from load_people import Load, Outcome, Reporter, directory, script

DEFAULT_RATES = "2,5,10,15,20,30,40,60,80,100,130,160,200"


# -- phases --------------------------------------------------------------------------------------


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Phase:
    offered: float
    started: int
    filed: int
    failed: int
    sustained: float
    requests_per_s: float
    reply: list[float]
    steps: list[float]
    reports: list[float]
    bot_cpu: list[float]  # per replica, CPU seconds during the phase
    own_cpu: float
    load: float
    errors: list[str]

    def p(self, values: list[float], q: int) -> float:
        return quantile(values, q) * 1000

    def keeps_up(self) -> bool:
        return self.failed == 0 and self.sustained >= 0.95 * self.offered

    def row(self) -> str:
        cpu = "+".join(f"{c:.1f}" for c in self.bot_cpu)
        per_report = sum(self.bot_cpu) / max(self.filed, 1) * 1000
        return (
            f"  offered {self.offered:6.1f}/s  filed {self.filed:5d} ({self.failed} failed)"
            f"  sustained {self.sustained:6.1f}/s  {self.requests_per_s:6.0f} req/s"
            f" | first reply p50 {self.p(self.reply, 50):6.1f} p95 {self.p(self.reply, 95):6.1f}"
            f" p99 {self.p(self.reply, 99):7.1f} ms | step p50 {self.p(self.steps, 50):5.1f}"
            f" p99 {self.p(self.steps, 99):7.1f} ms | report p50 {self.p(self.reports, 50):6.1f} ms"
            f" | bot CPU {cpu} s ({per_report:.1f} ms/report), load generator {self.own_cpu:.1f} s"
            f" | load {self.load:.2f}"
        )


class Pool:
    """Reporters free to start a report (one report at a time each)."""

    def __init__(self, reporters: list[Reporter], seed: int) -> None:
        shuffled = list(reporters)
        random.Random(seed).shuffle(shuffled)
        self.free = deque(shuffled)
        self.rng = random.Random(seed + 1)

    def take(self) -> Reporter:
        if not self.free:
            raise RuntimeError("no free reporter: raise --reporters")
        return self.free.popleft()

    def give_back(self, reporter: Reporter, outcome: Outcome) -> None:
        if outcome.error is None:  # one that failed half-way may have a draft left
            self.free.append(reporter)


async def phase(
    load: Load,
    pool: Pool,
    platform_name: str,
    rate: float,
    duration: float,
    replicas: list[Replica],
    rng: random.Random,
    profile: Path | None = None,
) -> Phase:
    outcomes: list[Outcome] = []
    tasks: list[asyncio.Task[None]] = []
    cpu0 = [r.cpu() for r in replicas]
    own0 = resource.getrusage(resource.RUSAGE_SELF)
    load_avg = os.getloadavg()[0]
    spy = None
    if profile is not None and shutil.which("py-spy"):
        profile.parent.mkdir(parents=True, exist_ok=True)
        spy = subprocess.Popen(
            [
                *("py-spy", "record", "--pid", str(replicas[0].process.pid), "--format", "raw"),
                *("--gil", "--nonblocking", "--rate", "200", "--duration", str(int(duration))),
                *("--output", str(profile)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def one(reporter: Reporter) -> None:
        outcome = await load.report(platform_name, reporter, script(reporter.policy, rng))
        outcomes.append(outcome)
        pool.give_back(reporter, outcome)

    loop = asyncio.get_running_loop()
    start = loop.time()
    at = start
    first = time.perf_counter()
    while True:
        at += rng.expovariate(rate)
        if at - start >= duration:
            break
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(pool.take())))
    await asyncio.gather(*tasks)
    cpu = [r.cpu() - c for r, c in zip(replicas, cpu0, strict=True)]
    own1 = resource.getrusage(resource.RUSAGE_SELF)
    own = (own1.ru_utime - own0.ru_utime) + (own1.ru_stime - own0.ru_stime)
    if spy is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.wait(30)
    ok = [o for o in outcomes if o.error is None and o.filed_at is not None]
    last = max((o.filed_at for o in ok if o.filed_at is not None), default=first)
    span = max(last - first, 1e-9)
    return Phase(
        offered=len(tasks) / duration,
        started=len(tasks),
        filed=len(ok),
        failed=len(outcomes) - len(ok),
        sustained=len(ok) / span,
        requests_per_s=sum(o.requests for o in outcomes) / span,
        reply=[o.reply for o in ok if o.reply is not None],
        steps=[s for o in ok for s in o.steps],
        reports=[(o.filed_at or 0) - o.started for o in ok],
        bot_cpu=cpu,
        own_cpu=own,
        load=load_avg,
        errors=sorted({o.error for o in outcomes if o.error})[:5],
    )


@dataclass
class Config:
    platform: str
    db: str
    replicas: int

    def __str__(self) -> str:
        processes = "one process" if self.replicas == 1 else f"{self.replicas} replicas"
        return f"{self.platform}, {'SQLite' if self.db == 'sqlite' else 'PostgreSQL'}, {processes}"


@contextlib.asynccontextmanager
async def running(
    config: Config, args: argparse.Namespace, folder: Path
) -> AsyncIterator[tuple[Load, Pool, list[Replica], Fakes]]:
    text, reporters = directory(args.reporters)
    directory_file = folder / "directory.yaml"
    directory_file.write_text(text)
    fakes = Fakes(reporters, args.telegram_connections)
    base = await fakes.start()
    with database(config.db, folder) as url:
        started = time.perf_counter()
        imported = subprocess.run(
            [sys.executable, "-m", "bot", "directory", "import", str(directory_file)],
            env=bot_env(url),
            cwd=folder,
            capture_output=True,
            check=False,
        )
        if imported.returncode != 0:
            raise RuntimeError(imported.stderr.decode()[-2000:])
        print(
            f"  directory: {len(reporters)} reporters imported in"
            f" {time.perf_counter() - started:.1f} s"
        )
        if args.history:
            started = time.perf_counter()
            fill_history(url, args.history)
            print(
                f"  history: {args.history} sent messages and handled events written in"
                f" {time.perf_counter() - started:.1f} s"
            )
        replicas = [
            start_replica(config.platform, url, base, folder, i) for i in range(config.replicas)
        ]
        load = Load(fakes, [f"http://127.0.0.1:{r.slack_port}/slack/events" for r in replicas])
        fakes.webhook_targets = [
            f"http://127.0.0.1:{r.telegram_port}{WEBHOOK_PATH}" for r in replicas
        ]
        try:
            for replica in replicas:
                await wait_ready(replica)
            if config.platform == "telegram":
                await asyncio.wait_for(fakes.webhook_set.wait(), 30)
            print(f"  bot pids {', '.join(str(r.process.pid) for r in replicas)}")
            yield load, Pool(reporters, args.seed), replicas, fakes
        finally:
            await load.close()
            stop_replicas(replicas)
            await fakes.stop()


async def sweep(config: Config, args: argparse.Namespace) -> tuple[list[Phase], float | None]:
    print(f"\n== {config}")
    rng = random.Random(args.seed)
    phases: list[Phase] = []
    best: float | None = None
    with tempfile.TemporaryDirectory(prefix="bench-load-") as name:
        folder = Path(name)
        async with running(config, args, folder) as (load, pool, replicas, fakes):
            warm = await phase(load, pool, config.platform, 5, args.warmup, replicas, rng)
            print(f"  warm-up: {warm.filed} reports, {warm.failed} failed {warm.errors}")
            for rate in (float(r) for r in args.rates.split(",")):
                profile = None
                if args.profile is not None:
                    tag = f"{config.platform}-{config.db}-{config.replicas}-{rate:g}"
                    profile = args.profile / f"{tag}.txt"
                result = await phase(
                    load, pool, config.platform, rate, args.duration, replicas, rng, profile
                )
                phases.append(result)
                print(result.row(), flush=True)
                if result.errors:
                    print(f"    errors: {result.errors}")
                good = result.keeps_up() and result.p(result.reply, 99) < args.goal_ms
                if good:
                    best = result.sustained if best is None else max(best, result.sustained)
                if not result.keeps_up() or result.p(result.reply, 99) > 4 * args.goal_ms:
                    break  # past the knee: higher rates only queue up
                await asyncio.sleep(2)  # let the timers and the outbox settle
            print(f"  calls to the fake APIs: {dict(sorted(fakes.calls.items()))}")
            if fakes.push_failures:
                print(f"  webhook posts not answered 200: {fakes.push_failures}")
    verdict = f"{best:.0f} reports/s" if best is not None else "none of the rates"
    print(f"  max sustained with first-reply p99 < {args.goal_ms:.0f} ms: {verdict}")
    return phases, best


def configs(args: argparse.Namespace) -> list[Config]:
    platforms = ["slack", "telegram"] if args.platform == "both" else [args.platform]
    found = []
    for db in args.db.split(","):
        counts = [1, 2] if db == "postgres" and args.replicas is None else [args.replicas or 1]
        for replicas in counts:
            found += [Config(p, db, replicas) for p in platforms]
    return found


async def main_async(args: argparse.Namespace) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    # SIGTERM unwinds like Ctrl-C: the bots are stopped and the PostgreSQL database dropped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    summary = []
    for config in configs(args):
        phases, best = await sweep(config, args)
        summary.append((config, phases, best))
    print("\nsummary (goal: 200 reports/s with first-reply p99 < 200 ms on one process)")
    print(
        "| configuration | offered/s | sustained/s | requests/s | first reply p50 | p95 | p99"
        " | step p99 | bot CPU per report | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for config, phases, _ in summary:
        for p in phases:
            cpu = sum(p.bot_cpu) / max(p.filed, 1) * 1000
            print(
                f"| {config} | {p.offered:.1f} | {p.sustained:.1f} | {p.requests_per_s:.0f}"
                f" | {p.p(p.reply, 50):.0f} ms | {p.p(p.reply, 95):.0f} ms"
                f" | {p.p(p.reply, 99):.0f} ms | {p.p(p.steps, 99):.0f} ms | {cpu:.0f} ms"
                f" | {p.load:.1f} |"
            )
    for config, _, best in summary:
        verdict = f"{best:.0f} reports/s" if best is not None else "not reached at any rate"
        print(f"  {config}: max sustained with first-reply p99 < {args.goal_ms:.0f} ms: {verdict}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--platform", choices=("slack", "telegram", "both"), default="both")
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument(
        "--replicas", type=int, choices=(1, 2), default=None, help="default: 1, and 2 on PostgreSQL"
    )
    parser.add_argument("--rates", default=DEFAULT_RATES, help="offered reports/s, in turn")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per rate (15)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at 5/s first (5)")
    parser.add_argument("--reporters", type=int, default=2000, help="directory size (2000)")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="sent messages and handled events already in the database (0: a new one)",
    )
    parser.add_argument("--goal-ms", type=float, default=200.0, help="first-reply p99 goal")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--telegram-connections",
        type=int,
        default=None,
        help="webhook connections (default: the max_connections the bot sets)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="py-spy output folder")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} · nproc {os.cpu_count()}"
        f" · SQLite {sqlite3.sqlite_version} · load average {os.getloadavg()[0]:.2f}"
    )
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
