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
import hashlib
import hmac
import itertools
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

try:
    import sla  # noqa: F401
except ImportError:  # run from a checkout without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import yaml
from aiohttp import web

from bot.telegram._render import callback_data
from handlers.types import Action
from sla.policy import builtin_policy
from sla.questionnaire import next_step

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN = os.environ.get(
    "SLABOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SLACK_TOKEN = "xoxb-bench-token"
SIGNING_SECRET = "bench-signing-secret"
TELEGRAM_TOKEN = "123456:BENCH-token"
WEBHOOK_SECRET = "bench-webhook-secret"
WEBHOOK_PATH = "/telegram/webhook"
BOT = {"id": 123456, "is_bot": True, "first_name": "slabot", "username": "slabot_bench_bot"}
SUPPORT_SLACK, SUPPORT_TELEGRAM = "CSUPPORT", "-2001"
# Seed policy -> (a role that may file, the customers' language)
POLICIES = {
    "plek": ("beheerder", "nl"),
    "pluvo": ("kontaktperson", "de"),
    "klik": ("beheerder", "nl"),
    "perplex": ("contactpersoon", "nl"),
    "infravision": ("contactpersoon", "en"),
}
LOCALES = {"nl": "nl-NL", "de": "de-DE", "en": "en-GB"}
REPORT_TIMEOUT = 60.0  # seconds; a report not filed by then counts as failed
DEFAULT_RATES = "2,5,10,15,20,30,40,60,80,100,130,160,200"


# -- the directory and the scripts ---------------------------------------------------------------


@dataclass
class Reporter:
    handle: str
    policy: str
    language: str
    slack: str  # U0000001
    telegram: int  # 100000001
    channel: str  # the customer's Slack channel, where /incident is typed


def directory(count: int) -> tuple[str, list[Reporter]]:
    """A directory file with ``count`` reporters, the policies in turn, and the reporters.

    A customer has at most 100 of them, or fewer where the contract limits the contact persons
    who may file (Pluvo: three).
    """
    customers: dict[str, dict[str, Any]] = {}
    reporters: list[Reporter] = []
    per_policy = dict.fromkeys(POLICIES, 0)
    for n in range(1, count + 1):
        policy = list(POLICIES)[n % len(POLICIES)]
        role, language = POLICIES[policy]
        limit = builtin_policy(policy).doc.roles[role].max_per_customer or 100
        index = per_policy[policy] // min(limit, 100)
        per_policy[policy] += 1
        customer_id = f"{policy}{index}"
        channel = f"C{customer_id.upper()}"
        customer = customers.setdefault(
            customer_id,
            {
                "id": customer_id,
                "name": f"Customer {customer_id}",
                "policy": policy,
                "language": language,
                "incident_prefix": f"{policy[:2].upper()}{index}",
                "contacts": [],
                "chats": [{"platform": "slack", "chat_id": channel}],
            },
        )
        reporter = Reporter(f"r{n}", policy, language, f"U{n:07d}", 100_000_000 + n, channel)
        reporters.append(reporter)
        customer["contacts"].append(
            {
                "handle": reporter.handle,
                "name": f"Reporter {n}",
                "roles": [role],
                "language": language,
                "slack": reporter.slack,
                "telegram": str(reporter.telegram),
            }
        )
    data = {
        "customers": list(customers.values()),
        "staff": [
            {
                "handle": "support",
                "name": "Sam Support",
                "roles": ["support", "admin"],
                "language": "en",
                "slack": "USUPPORT",
                "telegram": "2001",
                "escalation": [{"level": 1}],
            }
        ],
        "support_chats": [
            {"platform": "slack", "chat_id": SUPPORT_SLACK},
            {"platform": "telegram", "chat_id": SUPPORT_TELEGRAM},
        ],
    }
    return yaml.safe_dump(data, sort_keys=False), reporters


@dataclass(frozen=True)
class Step:
    kind: str  # "answer" (a choice), "field" (free text) or "confirm"
    key: str = ""  # question or field id
    value: str = ""  # answer id or text


def script(policy_id: str, rng: random.Random) -> list[Step]:
    """A random walk through the policy's questionnaire, ending with the confirmation."""
    policy = builtin_policy(policy_id)
    answers: dict[str, str] = {}
    fields: dict[str, str] = {}
    steps: list[Step] = []
    while True:
        step = next_step(policy, answers, fields)
        if step.question is not None and step.question_id is not None:
            answer = rng.choice(step.question.answers).id
            answers[step.question_id] = answer
            steps.append(Step("answer", step.question_id, answer))
        elif step.field is not None:
            text = f"The portal answers 502 since {rng.randrange(60)} minutes ({step.field.id})"
            fields[step.field.id] = text
            steps.append(Step("field", step.field.id, text))
        else:
            steps.append(Step("confirm"))
            return steps


# -- what was measured ---------------------------------------------------------------------------


@dataclass
class Outcome:
    started: float
    reply: float | None = None  # filing -> first message to the reporter (seconds)
    steps: list[float] = field(default_factory=list)  # each request -> the bot's answer
    filed_at: float | None = None
    requests: int = 0
    error: str | None = None


class Failed(Exception):
    pass


# -- the fake platforms --------------------------------------------------------------------------


class Fakes:
    """Slack's Web API and Telegram's Bot API as far as the bot uses them, kept lean (this
    process also generates the load), and Telegram's webhook delivery."""

    def __init__(self, reporters: list[Reporter], telegram_connections: int | None) -> None:
        self.slack_users = {r.slack: r for r in reporters}
        self.inboxes: dict[str, asyncio.Queue[tuple[str, float, Any]]] = {}
        self.view_owner: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self.base = ""
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        # Telegram's side of the webhook
        self.webhook_targets: list[str] = []  # replica URLs, used in turn
        self.connections_override = telegram_connections
        self.max_connections = 1
        self.webhook_set = asyncio.Event()
        self.updates: deque[dict[str, Any]] = deque()
        self._update_arrived = asyncio.Event()
        self._pushers: list[asyncio.Task[None]] = []
        self._turn = itertools.count()
        self.push_failures = 0
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._slack)
        app.router.add_post("/bot{token}/{method}", self._telegram)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self.base

    async def stop(self) -> None:
        for task in self._pushers:
            task.cancel()
        await asyncio.gather(*self._pushers, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _count(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1

    def _tell(self, who: str, kind: str, payload: Any) -> None:
        inbox = self.inboxes.get(who)
        if inbox is not None:
            inbox.put_nowait((kind, time.perf_counter(), payload))

    # -- Slack -----------------------------------------------------------------------------------

    async def _slack(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self._count(method)
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        ok: dict[str, Any] = {"ok": True}
        if method == "chat.postMessage":
            channel = str(args.get("channel", ""))
            self._tell(channel, "post", args.get("text"))
            ts = f"{1_790_000_000 + next(self._ids)}.000100"
            conversation = "D" + channel[1:] if channel.startswith("U") else channel
            return web.json_response({**ok, "channel": conversation, "ts": ts})
        if method in ("views.open", "views.update"):
            raw = args.get("view")
            view = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
            if method == "views.open":
                view_id = f"V{next(self._ids)}"
                owner = str(args.get("trigger_id", "")).partition(".")[0]
                self.view_owner[view_id] = owner
            else:
                view_id = str(args.get("view_id", ""))
                owner = self.view_owner.get(view_id, "")
            view = {**view, "id": view_id, "hash": f"h{next(self._ids)}"}
            self._tell(owner, "view", view)
            return web.json_response({**ok, "view": {"id": view_id, "hash": view["hash"]}})
        if method == "users.info":
            reporter = self.slack_users.get(str(args.get("user", "")))
            if reporter is None:
                return web.json_response({"ok": False, "error": "user_not_found"})
            name = f"Reporter {reporter.handle[1:]}"
            user = {
                "id": reporter.slack,
                "name": reporter.handle,
                "real_name": name,
                "profile": {"real_name": name, "display_name": ""},
                "locale": LOCALES[reporter.language],
            }
            return web.json_response({**ok, "user": user})
        if method == "chat.postEphemeral":
            self._tell(str(args.get("user", "")), "ephemeral", args.get("text"))
            return web.json_response({**ok, "message_ts": f"{next(self._ids)}.1"})
        if method == "chat.update":
            return web.json_response({**ok, "channel": args.get("channel"), "ts": args.get("ts")})
        if method == "auth.test":
            return web.json_response(
                {**ok, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "slabot"}
            )
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return web.json_response({**ok, "channel": {"id": "D" + users[1:]}})
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    # -- Telegram --------------------------------------------------------------------------------

    async def _telegram(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TELEGRAM_TOKEN:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"]
        self._count(method)
        if request.content_type == "application/json":
            params: dict[str, Any] = await request.json()
        else:
            params = dict(await request.post())
        result: Any = True
        if method == "sendMessage":
            chat = int(params["chat_id"])
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": _chat(chat),
                "from": BOT,
                "text": str(params.get("text", "")),
            }
            markup = params.get("reply_markup")
            if markup:
                message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            self._tell(str(chat), "message", message)
            result = message
        elif method == "editMessageText":
            result = {
                "message_id": int(params.get("message_id", 0)),
                "date": int(time.time()),
                "chat": _chat(int(params["chat_id"])),
                "from": BOT,
                "text": str(params.get("text", "")),
            }
        elif method == "getMe":
            result = BOT
        elif method == "setWebhook":
            self.max_connections = int(params.get("max_connections") or 40)
            self._start_pushing()
        elif method not in ("setMyCommands", "deleteWebhook", "answerCallbackQuery"):
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.json_response({"ok": True, "result": result})

    def _start_pushing(self) -> None:
        wanted = self.connections_override or self.max_connections
        while len(self._pushers) < wanted:
            self._pushers.append(asyncio.create_task(self._push()))
        self.webhook_set.set()

    def post_update(self, update: dict[str, Any]) -> None:
        """A person did something: Telegram queues the update for the webhook."""
        self.updates.append(update)
        self._update_arrived.set()

    async def _push(self) -> None:
        """One webhook connection: post the oldest update, until it is answered 200."""
        assert self._http is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        while True:
            if not self.updates:
                self._update_arrived.clear()
                await self._update_arrived.wait()
                continue
            update = self.updates.popleft()
            target = self.webhook_targets[next(self._turn) % len(self.webhook_targets)]
            try:
                async with self._http.post(target, json=update, headers=headers) as answer:
                    delivered = answer.status == 200
            except (aiohttp.ClientError, TimeoutError):
                delivered = False
            if not delivered:
                self.push_failures += 1
                self.updates.appendleft(update)
                await asyncio.sleep(0.05)


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
    return {"id": chat_id, "type": "supergroup", "title": "support"}


# -- the people ----------------------------------------------------------------------------------


class Load:
    """Reporters acting through the real endpoints; one report per call of :meth:`report`."""

    def __init__(self, fakes: Fakes, slack_urls: list[str]) -> None:
        self.fakes = fakes
        self.slack_urls = slack_urls
        self._turn = itertools.count()
        self._ids = itertools.count(1)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def close(self) -> None:
        await self.http.close()

    async def report(self, platform_name: str, reporter: Reporter, steps: list[Step]) -> Outcome:
        outcome = Outcome(time.perf_counter())
        who = reporter.slack if platform_name == "slack" else str(reporter.telegram)
        inbox: asyncio.Queue[tuple[str, float, Any]] = asyncio.Queue()
        self.fakes.inboxes[who] = inbox
        try:
            run = self._slack if platform_name == "slack" else self._telegram
            await asyncio.wait_for(run(reporter, steps, inbox, outcome), REPORT_TIMEOUT)
        except (Failed, TimeoutError, aiohttp.ClientError) as error:
            outcome.error = f"{type(error).__name__}: {error}"[:200]
        finally:
            del self.fakes.inboxes[who]
        return outcome

    @staticmethod
    async def _next(inbox: asyncio.Queue[tuple[str, float, Any]], *kinds: str) -> tuple[float, Any]:
        while True:
            kind, at, payload = await inbox.get()
            if kind in kinds:
                return at, payload
            if kind == "ephemeral":
                raise Failed(f"refused: {str(payload)[:100]}")

    # -- Slack -----------------------------------------------------------------------------------

    async def _post_slack(self, body: str, content_type: str) -> tuple[int, str]:
        stamp = str(int(time.time()))
        base = f"v0:{stamp}:{body}".encode()
        signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        }
        url = self.slack_urls[next(self._turn) % len(self.slack_urls)]
        async with self.http.post(url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def _interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = urlencode({"payload": json.dumps(payload)})
        status, text = await self._post_slack(body, "application/x-www-form-urlencoded")
        if status != 200:
            raise Failed(f"HTTP {status}: {text[:100]}")
        return json.loads(text) if text.strip() else {}

    def _trigger(self, user: str) -> str:
        return f"{user}.{next(self._ids)}"

    async def _slack(
        self,
        reporter: Reporter,
        steps: list[Step],
        inbox: asyncio.Queue[tuple[str, float, Any]],
        outcome: Outcome,
    ) -> None:
        user = reporter.slack
        team, user_obj = {"id": "T1"}, {"id": user, "username": reporter.handle}
        body = urlencode(
            {
                "token": "legacy",
                "team_id": "T1",
                "channel_id": reporter.channel,
                "user_id": user,
                "user_name": reporter.handle,
                "command": "/incident",
                "text": "",
                "response_url": f"{self.fakes.base}/response/1",
                "trigger_id": self._trigger(user),
                "api_app_id": "A1",
            }
        )
        sent = time.perf_counter()
        status, text = await self._post_slack(body, "application/x-www-form-urlencoded")
        outcome.requests += 1
        if status != 200:
            raise Failed(f"/incident: HTTP {status} {text[:100]}")
        at, view = await self._next(inbox, "view")
        outcome.steps.append(at - sent)
        for step in steps:
            meta = json.loads(view.get("private_metadata") or "{}")
            shown = meta.get("s", "")
            if step.kind == "answer":
                if shown != step.key:
                    raise Failed(f"expected question {step.key}, the modal shows {shown!r}")
                element = next(
                    e
                    for b in view["blocks"]
                    if b["type"] == "actions"
                    for e in b["elements"]
                    if e["type"] in ("radio_buttons", "static_select")
                )
                option = next(o for o in element["options"] if o["value"] == step.value)
                action = {
                    "type": element["type"],
                    "action_id": element["action_id"],
                    "block_id": f"q-{step.key}",
                    "selected_option": option,
                    "action_ts": "1.1",
                }
                payload = {
                    "type": "block_actions",
                    "trigger_id": self._trigger(user),
                    "team": team,
                    "user": user_obj,
                    "api_app_id": "A1",
                    "container": {"type": "view", "view_id": view["id"]},
                    "view": view,
                    "actions": [action],
                }
                sent = time.perf_counter()
                await self._interaction(payload)
                outcome.requests += 1
                at, view = await self._next(inbox, "view")
                outcome.steps.append(at - sent)
                continue
            values: dict[str, Any] = {}
            if step.kind == "field":
                if shown != f"field:{step.key}":
                    raise Failed(f"expected field {step.key}, the modal shows {shown!r}")
                values = {"answer": {"text": {"type": "plain_text_input", "value": step.value}}}
            elif shown != "confirm":
                raise Failed(f"expected the confirmation, the modal shows {shown!r}")
            payload = {
                "type": "view_submission",
                "trigger_id": self._trigger(user),
                "team": team,
                "user": user_obj,
                "api_app_id": "A1",
                "view": {**view, "state": {"values": values}},
            }
            sent = time.perf_counter()
            answer = await self._interaction(payload)
            outcome.requests += 1
            answered = time.perf_counter()
            new = answer.get("view") if answer.get("response_action") == "update" else None
            if new is not None and json.loads(new.get("private_metadata") or "{}").get("s"):
                view = {**new, "id": view["id"], "hash": f"h{next(self._ids)}"}
            elif step.kind == "field":  # a "one moment" view: the next one comes by views.update
                answered, view = await self._next(inbox, "view")
            outcome.steps.append(answered - sent)
            if step.kind == "confirm":
                at, text = await self._next(inbox, "post")  # the confirmation, in the DM
                outcome.reply = at - sent
                outcome.filed_at = at
                if not any(ch.isdigit() for ch in str(text)):
                    raise Failed(f"the confirmation names no ref: {str(text)[:100]}")

    # -- Telegram --------------------------------------------------------------------------------

    def _message(self, reporter: Reporter, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": _chat(reporter.telegram),
            "from": self._person(reporter),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"update_id": next(self._ids), "message": message}

    @staticmethod
    def _person(reporter: Reporter) -> dict[str, Any]:
        return {
            "id": reporter.telegram,
            "is_bot": False,
            "first_name": f"Reporter {reporter.handle[1:]}",
            "language_code": reporter.language,
        }

    def _press(self, reporter: Reporter, message: dict[str, Any], data: str) -> dict[str, Any]:
        query = {
            "id": f"cq{next(self._ids)}",
            "from": self._person(reporter),
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        return {"update_id": next(self._ids), "callback_query": query}

    async def _telegram(
        self,
        reporter: Reporter,
        steps: list[Step],
        inbox: asyncio.Queue[tuple[str, float, Any]],
        outcome: Outcome,
    ) -> None:
        sent = time.perf_counter()
        self.fakes.post_update(self._message(reporter, "/incident"))
        outcome.requests += 1
        at, _ = await self._next(inbox, "message")  # the intro
        outcome.steps.append(at - sent)
        _, question = await self._next(inbox, "message")  # the first question
        for step in steps:
            if step.kind == "field":
                update = self._message(reporter, step.value)
            else:
                buttons = [
                    b["callback_data"]
                    for row in (question.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ]
                wanted = (
                    callback_data(Action.ANSWER, step.value)
                    if step.kind == "answer"
                    else next((b for b in buttons if b.startswith(f"{Action.CONFIRM.value}:")), "")
                )
                if wanted not in buttons:
                    raise Failed(f"no button {wanted!r} under {question.get('text', '')[:80]!r}")
                update = self._press(reporter, question, wanted)
            sent = time.perf_counter()
            self.fakes.post_update(update)
            outcome.requests += 1
            at, question = await self._next(inbox, "message")
            outcome.steps.append(at - sent)
            if step.kind == "confirm":
                outcome.reply = at - sent
                outcome.filed_at = at
                if "reply_markup" in question or not any(c.isdigit() for c in question["text"]):
                    raise Failed(f"not a confirmation: {question['text'][:100]!r}")


# -- the bot processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    health: int
    slack_port: int
    telegram_port: int
    log: Path

    def cpu(self) -> float:
        """CPU seconds (user + system) of the process so far, from /proc."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(
        {
            "SLABOT_DATABASE_URL": database_url,
            "SLABOT_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def start_replica(
    platform_name: str, database_url: str, fake_base: str, folder: Path, index: int
) -> Replica:
    health, slack_port, telegram_port = free_port(), free_port(), free_port()
    env = bot_env(database_url)
    env.update({"SLABOT_HEALTH_HOST": "127.0.0.1", "SLABOT_HEALTH_PORT": str(health)})
    if platform_name == "slack":
        env.update(
            {
                "SLACK_BOT_TOKEN": SLACK_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": f"{fake_base}/api/",
                "SLACK_HTTP_HOST": "127.0.0.1",
                "SLACK_HTTP_PORT": str(slack_port),
            }
        )
    else:
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_API_BASE_URL": fake_base,
                # What Telegram is told; this script posts to each replica's own port instead.
                "TELEGRAM_WEBHOOK_URL": f"https://bot.example.org{WEBHOOK_PATH}",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                "TELEGRAM_WEBHOOK_PORT": str(telegram_port),
            }
        )
    log = folder / f"replica-{index}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=folder, env=env, stdout=out, stderr=out
        )
    return Replica(process, health, slack_port, telegram_port, log)


async def wait_ready(replica: Replica, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{replica.health}/readyz"
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if replica.process.poll() is not None:
                raise RuntimeError(f"the bot stopped: {replica.log.read_text()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the bot did not get ready: {replica.log.read_text()[-2000:]}")


def stop_replicas(replicas: list[Replica]) -> None:
    for replica in replicas:
        if replica.process.poll() is None:
            replica.process.terminate()
    for replica in replicas:
        try:
            replica.process.wait(30)
        except subprocess.TimeoutExpired:
            replica.process.kill()


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'slabot.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    name = f"slabot_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill_history(url: str, messages: int) -> None:
    """A database in service for a while: ``messages`` sent messages (to 5,000 chats) and as
    many handled inbound events, written before the bot starts."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
    at = datetime.now(UTC) - timedelta(days=200)
    if url.startswith("sqlite"):
        at = at.replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            text(
                count + "INSERT INTO outboxmessage (created_at, platform, chat_id, payload,"
                " status, attempts, next_attempt_at, sent_at)"
                " SELECT :at, 'slack', 'H' || CAST(i % 5000 AS TEXT), :payload, 'sent', 1, :at, :at"
                " FROM n"
            ),
            {"rows": messages, "at": at, "payload": json.dumps({"text": "x" * 200})},
        )
        connection.execute(
            text(
                count + "INSERT INTO inboundevent (platform, key, seen_at)"
                " SELECT 'slack', 'old-' || CAST(i AS TEXT), :at FROM n"
            ),
            {"rows": messages, "at": at},
        )
    engine.dispose()


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
