"""The people of the load benchmark (``bench_load.py``): the generated directory of reporters, each
report's random walk through its policy's questionnaire, and the reporters acting through the
bot's real endpoints, with what was measured of each report.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yaml
from load_fakes import Fakes, telegram_chat

from bot.telegram._render import callback_data
from handlers.types import Action
from sla.policy import builtin_policy
from sla.questionnaire import next_step

SIGNING_SECRET = "bench-signing-secret"
SUPPORT_SLACK, SUPPORT_TELEGRAM = "CSUPPORT", "-2001"
# Seed policy -> (a role that may file, the customers' language)
POLICIES = {
    "plek": ("beheerder", "nl"),
    "pluvo": ("kontaktperson", "de"),
    "klik": ("beheerder", "nl"),
    "perplex": ("contactpersoon", "nl"),
    "infravision": ("contactpersoon", "en"),
}
REPORT_TIMEOUT = 60.0  # seconds; a report not filed by then counts as failed


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
            "chat": telegram_chat(reporter.telegram),
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
