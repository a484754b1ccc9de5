"""A burst of incident reports through ``slabot run``, killed (SIGKILL) at random points and
restarted (issue #8). Used by ``tests/bot/test_crash_burst.py`` and
``benchmarks/bench_crash_burst.py``.

The bot runs as a real process with Telegram in webhook mode, against the fake Bot API served
here on 127.0.0.1. The fake plays Telegram: it posts each update to the webhook, one at a time
and in order, and posts it again until the bot answers 200, so an update the bot was handling
when it died comes again. Reporters (registered contact persons of a Plek customer) each file
their reports one after the other, the whole Telegram conversation as a person has it:
``/incident``, two questions answered with buttons, the description typed as a reply, "File
incident". Each reporter waits for the bot's question before answering it.

The process is killed at points drawn from a seeded random generator, of three kinds:

* ``update``: while it handles an update, a random 0-15 ms after Telegram posted it;
* ``moment``: at a random moment 0.05-1.5 s after it came up, whatever it is doing then;
* ``send``: the instant Telegram has taken a message from it, before the bot hears so. This is
  the one window in which a message can be doubled: the outbox row is not yet marked sent, and
  Telegram has no idempotency key to ask with. The restarted bot sends it again (after the
  lease of the dead process runs out) and marks the row ``INTERRUPTED``. The bot sends to up
  to ``DELIVERY_CHATS`` chats at once, so a kill can find that many messages in the window.

Each killed process is restarted at once. Afterwards the record and what Telegram shows are
compared message by message: every outbox row must be in its chat exactly once and in order,
except that a row marked interrupted may appear again right after itself (each extra copy counted
as doubled; a row whose resending is killed in the same window again gets one more).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from bot.database import open_database
from bot.outbox_delivery import INTERRUPTED
from bot.outbox_payload import from_payload
from bot.telegram._render import body
from sla.db import session_scope
from sla.directory_file import import_directory, parse_directory
from sla.i18n import translator
from sla.models import InboundEvent, Incident, OutboxMessage
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi, Person, Sent

KillKind = Literal["update", "moment", "send"]
KINDS: tuple[KillKind, ...] = ("update", "moment", "send")
SUPPORT_GROUP = -2001
FIRST_REPORTER = 10_001
SECRET = "burst-secret"
NL = translator("nl")
ASKED = ("Waar gaat je melding over?", "Wat merken de gebruikers?")
FIELD = "Omschrijving"
FILE = NL._("File incident")
ROOT = Path(__file__).parents[2]
UPDATES_PER_REPORT = 5  # /incident, two presses, the description, "File incident"
ROWS_PER_REPORT = 7  # introduction, two questions, the description's prompt, confirm, filed, card
DELIVERY_CHATS = 8  # the bot's default (SLABOT_DELIVERY_CONCURRENCY), set explicitly


def directory(reporters: int) -> dict[str, Any]:
    """Acme on the Plek contract with ``reporters`` administrators who may report."""
    contacts = [
        {
            "handle": f"r{n:03d}",
            "name": f"Reporter {n}",
            "roles": ["beheerder"],
            "language": "nl",
            "telegram": str(FIRST_REPORTER + n),
        }
        for n in range(reporters)
    ]
    return {
        "customers": [
            {
                "id": "acme",
                "name": "Acme Media BV",
                "policy": "plek",
                "language": "nl",
                "contacts": contacts,
            }
        ],
        "staff": [
            {
                "handle": "support",
                "name": "Sam Support",
                "roles": ["support", "admin"],
                "language": "en",
                "telegram": "2001",
            }
        ],
        "support_chats": [{"platform": "telegram", "chat_id": str(SUPPORT_GROUP)}],
    }


def description(number: int) -> str:
    return f"Storing nummer {number:05d}: niemand kan inloggen"


@dataclass
class Kill:
    kind: KillKind
    after: float  # seconds since the burst started
    pid: int
    back_after: float | None = None  # seconds until the new process had set its webhook


@dataclass
class Outcome:
    """What happened, and what Telegram and the database show afterwards."""

    reports: int
    seconds: float
    kills: list[Kill]
    exit_code: int | None  # of the last process, stopped with SIGTERM
    updates: int  # distinct updates Telegram sent
    posts: int  # webhook posts, redeliveries included
    handled: int  # updates the inbox recorded as handled
    incidents: list[tuple[str, str]]  # (ref, description)
    rows: int  # outbox messages
    not_sent: list[tuple[int, str]]  # (id, status) of rows not sent
    interrupted: list[int]  # rows sent again after an interrupted attempt
    doubled: list[tuple[int, str]]  # (chat, text) of each extra copy
    mismatches: list[str]  # what does not match between the outbox and Telegram
    confirmations: Counter[str] = field(default_factory=Counter)  # ref -> rows to the reporter
    cards: Counter[str] = field(default_factory=Counter)  # ref -> rows to support
    log_tail: str = ""

    def kinds(self) -> Counter[str]:
        return Counter(kill.kind for kill in self.kills)

    def problems(self) -> list[str]:
        """Each promise the burst broke (none: it kept them all)."""
        found: list[str] = []

        def expect(holds: bool, promise: str) -> None:
            if not holds:
                found.append(promise)

        refs = [ref for ref, _ in self.incidents]
        wanted = sorted(f"PLEK-{n}" for n in range(1, self.reports + 1))
        expect(self.exit_code == 0, "the last process stops cleanly on SIGTERM")
        expect(sorted(refs) == wanted, "every report filed once, numbered without gaps")
        filed = sorted(text for _, text in self.incidents)
        expect(filed == sorted(description(n) for n in range(self.reports)), "no report lost")
        expect(
            self.handled == self.updates == UPDATES_PER_REPORT * self.reports,
            "every update handled once",
        )
        expect(self.rows == ROWS_PER_REPORT * self.reports, "every answer written once")
        expect(self.not_sent == [], "every message sent")
        expect(self.confirmations == dict.fromkeys(refs, 1), "one confirmation per incident")
        expect(self.cards == dict.fromkeys(refs, 1), "one card per incident")
        # An unmarked row shown twice is a mismatch too: only a row marked interrupted may be
        # shown again right after itself, once more per kill that cut its resending short.
        expect(self.mismatches == [], "each message shown once, in order per chat")
        expect(
            self.kinds()["send"] <= len(self.doubled) <= len(self.kills) * DELIVERY_CHATS,
            "a message doubled only by a kill in the window, at most one per chat in flight",
        )
        return found

    def summary(self) -> str:
        return "\n".join(
            [
                f"{self.reports} reports in {self.seconds:.1f} s; kills: {dict(self.kinds())}; "
                f"back after {[round(k.back_after or -1, 1) for k in self.kills]} s; "
                f"last exit code {self.exit_code}",
                f"updates {self.updates}, webhook posts {self.posts}, handled {self.handled}",
                f"incidents {len(self.incidents)} ({len({r for r, _ in self.incidents})} refs)",
                f"outbox rows {self.rows}, not sent {self.not_sent[:5]}, "
                f"interrupted {self.interrupted}",
                f"doubled {len(self.doubled)}: {self.doubled[:5]}",
                f"mismatches {len(self.mismatches)}: {self.mismatches[:5]}",
            ]
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """``slabot run`` as a child process, with its log appended to ``log``."""

    def __init__(self, env: dict[str, str], workdir: Path, log: Path) -> None:
        self.env, self.workdir, self.log = env, workdir, log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                cwd=self.workdir,  # no stray .env is read
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)

    def reap(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Database:
    """The bot's database: a SQLite file, or a private schema on a PostgreSQL server."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.schema: str | None = None
        self.server = url
        if url == "sqlite":
            self.url = f"sqlite:///{workdir / 'burst.sqlite3'}"
        else:
            self.schema = f"burst_{uuid.uuid4().hex[:10]}"
            with self._admin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            self.url = (
                make_url(url)
                .update_query_dict({"options": f"-csearch_path={self.schema}"})
                .render_as_string(hide_password=False)
            )
        self.engine: Engine = open_database(self.url)

    def _admin(self) -> Any:
        return create_engine(self.server, isolation_level="AUTOCOMMIT").connect()

    def drop(self) -> None:
        self.engine.dispose()
        if self.schema is not None:
            with self._admin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))


def asking(question: str) -> Callable[[Sent], bool]:
    return lambda m: question in m.original and bool(m.buttons())


class Reporter:
    """One contact person filing reports one after the other, as in the Telegram app."""

    def __init__(self, api: FakeBotApi, person: Person, timeout: float) -> None:
        self.api, self.person, self.timeout = api, person, timeout
        self.filed: list[str] = []

    def _next(
        self, after: int, wanted: Callable[[Sent], bool]
    ) -> Callable[[list[Sent]], Sent | None]:
        def check(messages: list[Sent]) -> Sent | None:
            # The first fitting message: a doubled question is one a person would ignore.
            return next((m for m in messages if m.message_id > after and wanted(m)), None)

        return check

    async def wait(self, after: int, wanted: Callable[[Sent], bool]) -> Sent:
        chat = self.person.id
        return await self.api.wait_for(chat, self._next(after, wanted), self.timeout)

    async def report(self, number: int) -> None:
        chat = self.person.id
        start = max((m.message_id for m in self.api.messages(chat)), default=0)
        self.api.say(self.person, "/incident")
        after = start
        for asked in ASKED:
            question = await self.wait(after, asking(asked))
            self.api.press(self.person, question, question.buttons()[0][0])
            after = question.message_id
        field_prompt = await self.wait(after, lambda m: FIELD in m.original)
        self.api.say(self.person, description(number), reply_to=field_prompt)
        confirm = await self.wait(
            field_prompt.message_id, lambda m: FILE in [label for label, _ in m.buttons()]
        )
        self.api.press(self.person, confirm, FILE)
        filed = await self.wait(confirm.message_id, lambda m: "PLEK-" in m.original)
        self.filed.append(filed.original)


class Killer:
    """Kills the bot at seeded random points and restarts it at once: as many kills of each
    kind as ``kills`` allows, in a random order."""

    def __init__(self, bot: BotProcess, api: FakeBotApi, kills: int, seed: int) -> None:
        self.bot, self.api = bot, api
        self.random = random.Random(seed)
        self.plan = [KINDS[n % len(KINDS)] for n in range(kills)]
        self.random.shuffle(self.plan)
        self.kills: list[Kill] = []
        self.started = time.monotonic()
        self._armed: KillKind | None = None
        self._countdown = 0

    def arm(self) -> None:
        """Choose the next kill (after the bot has set its webhook again)."""
        if not self.plan:
            self._armed = None
            return
        self._armed = kind = self.plan.pop()
        self._countdown = self.random.randint(1, 25)
        if kind == "moment":
            delay = self.random.uniform(0.05, 1.5)
            asyncio.get_running_loop().call_later(delay, self._kill, "moment")

    def on_push(self, update: dict[str, Any]) -> None:
        if self._armed == "update" and self._tick():
            delay = self.random.uniform(0, 0.015)
            asyncio.get_running_loop().call_later(delay, self._kill, "update")

    def on_effect(self, method: str, params: dict[str, Any]) -> None:
        if self._armed == "send" and method == "sendMessage" and self._tick():
            self._kill("send")  # Telegram has the message; the bot has not heard yet

    def _tick(self) -> bool:
        self._countdown -= 1
        return self._countdown == 0

    def _kill(self, kind: KillKind) -> None:
        if self._armed != kind or not self.bot.alive():
            return
        self._armed = None
        self.kills.append(Kill(kind, time.monotonic() - self.started, self.bot.pid))
        self.bot.kill()
        self.bot.reap()
        self.bot.start()

    def on_webhook_set(self) -> None:
        if self.kills and self.kills[-1].back_after is None:
            last = self.kills[-1]
            last.back_after = time.monotonic() - self.started - last.after
        if self._armed is None:
            self.arm()


async def run_burst(
    *,
    reports: int,
    reporters: int,
    kills: int,
    seed: int,
    database: str,
    workdir: Path,
    lease_seconds: float = 2.0,
    step_timeout: float = 60.0,
) -> Outcome:
    """File ``reports`` reports from ``reporters`` people while the bot is killed ``kills``
    times; ``database`` is ``"sqlite"`` or a PostgreSQL server URL (a private schema is used)."""
    db = Database(database, workdir)
    try:
        with session_scope(db.engine) as session:
            import_directory(session, parse_directory(directory(reporters)))
        return await _burst(
            db, reports, reporters, kills, seed, workdir, lease_seconds, step_timeout
        )
    finally:
        db.drop()


async def _burst(
    db: Database,
    reports: int,
    reporters: int,
    kills: int,
    seed: int,
    workdir: Path,
    lease_seconds: float,
    step_timeout: float,
) -> Outcome:
    api = FakeBotApi(push=True)
    await api.serve()
    hook_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))},
        "SLABOT_DATABASE_URL": db.url,
        "SLABOT_HEALTH_HOST": "127.0.0.1",
        "SLABOT_HEALTH_PORT": str(free_port()),
        "SLABOT_OUTBOX_LEASE_SECONDS": str(lease_seconds),
        "SLABOT_DELIVERY_CONCURRENCY": str(DELIVERY_CHATS),
        "SLABOT_LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/telegram/hook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(hook_port),
        "PYTHONPATH": str(ROOT),
    }
    bot = BotProcess(env, workdir, workdir / "slabot.log")
    killer = Killer(bot, api, kills, seed)
    api.on_push = killer.on_push
    api.on_effect = killer.on_effect
    people = [Person(FIRST_REPORTER + n, f"Reporter {n}", "nl") for n in range(reporters)]
    numbers = list(range(reports))
    share = {p.id: numbers[i::reporters] for i, p in enumerate(people)}
    started = time.monotonic()
    exit_code: int | None = None
    try:
        api.on_webhook = killer.on_webhook_set
        bot.start()

        async def file_all(person: Person) -> None:
            reporter = Reporter(api, person, step_timeout)
            for number in share[person.id]:
                await reporter.report(number)

        try:
            await asyncio.gather(*(file_all(p) for p in people))
            await _settled(db.engine, api, step_timeout)
        except AssertionError as error:
            state = (
                f"bot alive: {bot.alive()}, starts: {bot.starts}, webhook: {api.webhook}, "
                f"pusher: {api._pusher}, queued: {len(api.updates)}, posted: {api.pushed}, "
                f"refused: {api.push_failures}"
            )
            raise AssertionError(f"{error}\n{state}\n--- bot log ---\n{bot.tail()}") from error
        killer.plan.clear()
        killer._armed = None
        exit_code = bot.stop()
    finally:
        if bot.alive():
            bot.kill()
            bot.reap()
        await api.close()
    seconds = time.monotonic() - started
    return _outcome(db.engine, api, reports, seconds, killer.kills, exit_code, bot.tail())


async def _settled(engine: Engine, api: FakeBotApi, timeout: float) -> None:
    """Wait until Telegram has no update to post and the outbox nothing to send."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with Session(engine) as session:
            pending = session.exec(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            ).first()
        if pending is None and not api.updates and not api.replays:
            return
        if loop.time() > deadline:
            raise AssertionError("the outbox or the webhook queue did not empty")
        await asyncio.sleep(0.05)


def visible(row: OutboxMessage) -> str:
    """The text Telegram shows for an outbox message."""
    return body(from_payload(row.payload))[1]


def _outcome(
    engine: Engine,
    api: FakeBotApi,
    reports: int,
    seconds: float,
    kills: list[Kill],
    exit_code: int | None,
    log_tail: str,
) -> Outcome:
    with Session(engine) as session:
        incidents = session.exec(select(Incident).order_by(col(Incident.id))).all()
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        handled = len(session.exec(select(InboundEvent.key)).all())
        found = [(i.ref, str(i.fields.get("description", ""))) for i in incidents]
    per_chat: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        per_chat.setdefault(int(row.chat_id), []).append(row)
    doubled: list[tuple[int, str]] = []
    mismatches: list[str] = []
    for chat in set(per_chat) | {m.chat_id for m in api.sent.values()}:
        mismatches += _compare(chat, per_chat.get(chat, []), api.messages(chat), doubled)
    confirmations: Counter[str] = Counter()
    cards: Counter[str] = Counter()
    for row in rows:
        said = visible(row)
        refs = [word.strip(".,:") for word in said.split() if word.startswith("PLEK-")]
        if not refs:
            continue
        if int(row.chat_id) == SUPPORT_GROUP:
            cards[refs[0]] += 1
        else:
            confirmations[refs[0]] += 1
    posted = api.pushed + api.push_failures
    return Outcome(
        reports=reports,
        seconds=seconds,
        kills=kills,
        exit_code=exit_code,
        updates=api.injected,
        posts=posted,
        handled=handled,
        incidents=found,
        rows=len(rows),
        not_sent=[(r.id or 0, r.status) for r in rows if r.status != "sent"],
        interrupted=[r.id or 0 for r in rows if r.last_error == INTERRUPTED],
        doubled=doubled,
        mismatches=mismatches,
        confirmations=confirmations,
        cards=cards,
        log_tail=log_tail,
    )


def _compare(
    chat: int, rows: list[OutboxMessage], shown: list[Sent], doubled: list[tuple[int, str]]
) -> list[str]:
    """Walk a chat's outbox rows and its messages together: each row once, in order; a row
    marked interrupted may be shown again right after itself (doubled)."""
    problems: list[str] = []
    i = 0
    for n, row in enumerate(rows):
        wanted = visible(row)
        if i >= len(shown) or shown[i].original != wanted:
            got = shown[i].original if i < len(shown) else "nothing"
            problems.append(f"chat {chat}: message {n} should be {wanted!r}, is {got!r}")
            return problems
        i += 1
        # Killed once more while sending it again: one more copy per such kill.
        while row.last_error == INTERRUPTED and i < len(shown) and shown[i].original == wanted:
            doubled.append((chat, wanted))
            i += 1
    if i < len(shown):
        problems.append(f"chat {chat}: {len(shown) - i} messages more than the outbox sent")
    return problems
