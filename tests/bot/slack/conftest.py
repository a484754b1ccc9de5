"""A Slack workspace in a test: the fake Web API, the bot listening over HTTP on 127.0.0.1, and
people who send signed requests to it (slash commands, shortcuts, button presses, modals)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import yaml
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app import BotApp
from bot.outbox_delivery import deliver_due
from bot.slack import SlackService
from sla.db import session_scope
from sla.directory_file import import_directory, parse_directory
from sla.models import Incident, IncidentEvent, OutboxMessage
from tests.bot.slack.fake_slack import BOT_USER, TOKEN, FakeSlack, until

SECRET = "test-signing-secret"
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Amsterdam
DIRECTORY = """
customers:
  - id: acme
    name: Acme Media BV
    policy: plek
    language: nl
    contacts:
      - {handle: anna, name: Anna de Vries, roles: [beheerder], language: nl, slack: UANNA}
      - {handle: bram, name: Bram Visser, roles: [gebruiker], language: nl, slack: UBRAM}
    chats:
      - {platform: slack, chat_id: CACME}
staff:
  - {handle: support, name: Sam Support, roles: [support, admin], language: en, slack: USUPPORT}
  - handle: lisa
    name: Lisa Lead
    roles: [lead]
    language: nl
    slack: ULISA
    escalation: [{level: 1}]
  - handle: mark
    name: Mark Manager
    roles: [manager]
    language: en
    slack: UMARK
    escalation: [{level: 2}, {level: 3}]
support_chats:
  - {platform: slack, chat_id: CSUPPORT}
"""
PEOPLE = {
    "UANNA": ("Anna de Vries", "nl-NL"),
    "UBRAM": ("Bram Visser", "nl-NL"),
    "USUPPORT": ("Sam Support", "en-US"),
    "ULISA": ("Lisa Lead", "nl-NL"),
    "UMARK": ("Mark Manager", "en-GB"),
    "USTRANGER": ("Stefan Fremd", "de-DE"),
}


def load_directory(engine: Engine, text: str = DIRECTORY) -> None:
    with session_scope(engine) as session:
        import_directory(session, parse_directory(yaml.safe_load(text)))


def signature(body: str, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def check_view(view: dict[str, Any]) -> dict[str, Any]:
    """Parse a view with slack_sdk's models and check it against Slack's limits."""
    parsed = View(**{k: v for k, v in view.items() if k not in ("id", "hash")})
    parsed.validate_json()
    check_blocks(view["blocks"])
    return view


def check_blocks(blocks: list[dict[str, Any]]) -> list[Block]:
    """Parse blocks with slack_sdk's models: each one known, valid and unchanged."""
    parsed = Block.parse_all(blocks)
    assert len(parsed) == len(blocks)
    for block, raw in zip(parsed, blocks, strict=True):
        assert block is not None and type(block) is not Block, raw
        block.validate_json()
        assert block.to_dict() == raw
    return parsed


def texts(blocks: list[dict[str, Any]]) -> str:
    """Everything a person reads in some blocks, as one string."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn"):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


class Workspace:
    """People in a Slack workspace sending signed requests to the bot."""

    def __init__(self, engine: Engine, fake: FakeSlack, service: SlackService, url: str) -> None:
        self.engine = engine
        self.fake = fake
        self.service = service
        self.app = service.adapter.app
        self.url = url
        self.now = START
        self.http = aiohttp.ClientSession()
        self._ids = itertools.count(1)

    # -- sending ----------------------------------------------------------------------------------

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        stamp = int(time.time()) if timestamp is None else timestamp
        sent_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(body, stamp, secret),
            **(headers or {}),
        }
        async with self.http.post(self.url, data=body.encode(), headers=sent_headers) as resp:
            return resp.status, await resp.text()

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str, retry: int | None = None
    ) -> tuple[int, str]:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T1",
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
                "event": event,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", headers=headers if retry else None)

    def trigger(self) -> str:
        return f"trigger-{next(self._ids)}"

    async def command(
        self, user: str, channel: str, text: str = "", *, command: str = "/incident"
    ) -> int:
        """``/incident text`` (or another ``command``) typed by ``user`` in ``channel``."""
        body = urlencode(
            {
                "token": "legacy",
                "team_id": "T1",
                "channel_id": channel,
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "response_url": self.fake.response_url(),
                "trigger_id": self.trigger(),
                "api_app_id": "A1",
            }
        )
        status, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status

    async def shortcut(self, user: str, channel: str, text: str) -> int:
        status, _ = await self.interaction(
            {
                "type": "message_action",
                "callback_id": "slabot_report",
                "trigger_id": self.trigger(),
                "team": {"id": "T1"},
                "user": {"id": user, "name": user.lower()},
                "channel": {"id": channel, "name": "acme"},
                "message": {"type": "message", "user": "UANNA", "ts": "1.2", "text": text},
                "response_url": self.fake.response_url(),
                "message_ts": "1.2",
            }
        )
        return status

    async def press(
        self, user: str, channel: str, ts: str, element: dict[str, Any], *, ephemeral: bool = False
    ) -> int:
        """A button on a message (the card, an ephemeral question)."""
        action = {
            "type": "button",
            "action_id": element["action_id"],
            "block_id": "b",
            "value": element.get("value", ""),
            "action_ts": "1.1",
        }
        status, _ = await self.interaction(
            {
                "type": "block_actions",
                "trigger_id": self.trigger(),
                "team": {"id": "T1"},
                "user": {"id": user},
                "api_app_id": "A1",
                "container": {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": ephemeral,
                },
                "channel": {"id": channel},
                "message": {"ts": ts, "text": ""},
                "response_url": self.fake.response_url(),
                "actions": [action],
            }
        )
        return status

    async def choose(self, user: str, view_id: str, choice: str) -> int:
        """Pick a radio button answer in an open modal."""
        view = self.fake.views[view_id]
        element = next(
            el
            for block in view["blocks"]
            if block["type"] == "actions"
            for el in block["elements"]
            if el["type"] in ("radio_buttons", "static_select")
        )
        option = next(o for o in element["options"] if o["value"] == choice)
        return await self._view_action(
            user,
            view,
            {
                "type": element["type"],
                "action_id": element["action_id"],
                "block_id": "q",
                "selected_option": option,
                "action_ts": "1.1",
            },
        )

    async def press_in_view(self, user: str, view_id: str, element: dict[str, Any]) -> int:
        view = self.fake.views[view_id]
        action = {
            "type": "button",
            "action_id": element["action_id"],
            "block_id": "b",
            "value": element.get("value", ""),
            "action_ts": "1.1",
        }
        return await self._view_action(user, view, action)

    async def _view_action(self, user: str, view: dict[str, Any], action: dict[str, Any]) -> int:
        status, _ = await self.interaction(
            {
                "type": "block_actions",
                "trigger_id": self.trigger(),
                "team": {"id": "T1"},
                "user": {"id": user},
                "api_app_id": "A1",
                "container": {"type": "view", "view_id": view["id"]},
                "view": view,
                "actions": [action],
            }
        )
        return status

    async def submit(self, user: str, view_id: str, text: str | None = None) -> dict[str, Any]:
        """Press the modal's submit button (with ``text`` typed in its input); applies Slack's
        part of the answer: a ``response_action: update`` replaces the view."""
        view = self.fake.views[view_id]
        values: dict[str, Any] = {}
        if text is not None:
            values = {"answer": {"text": {"type": "plain_text_input", "value": text}}}
        status, raw = await self.interaction(
            {
                "type": "view_submission",
                "trigger_id": self.trigger(),
                "team": {"id": "T1"},
                "user": {"id": user},
                "api_app_id": "A1",
                "view": {**view, "state": {"values": values}},
            }
        )
        assert status == 200, raw
        answer: dict[str, Any] = json.loads(raw) if raw.strip() else {}
        if answer.get("response_action") == "update":
            check_view(answer["view"])
            if self.fake.views[view_id]["hash"] == view["hash"]:  # else views.update came first
                self.fake.replace_view(view_id, answer["view"])
        elif not answer:
            self.fake.views.pop(view_id, None)  # the modal closed
        return answer

    async def close(self, user: str, view_id: str) -> int:
        view = self.fake.views.pop(view_id)
        status, _ = await self.interaction(
            {
                "type": "view_closed",
                "team": {"id": "T1"},
                "user": {"id": user},
                "api_app_id": "A1",
                "view": view,
                "is_cleared": False,
            }
        )
        return status

    # -- waiting and looking ---------------------------------------------------------------------

    async def handled(self, count: int) -> None:
        """Wait until the adapter has handled ``count`` events in all (listeners run after ack)."""
        await until(lambda: self.service.adapter.completed >= count)
        await self.service.adapter.settle()

    async def opened(self, count: int = 1) -> dict[str, Any]:
        """The modal the bot opened (the ``count``-th ``views.open``) as it is now, checked."""
        await until(lambda: len(self.fake.opened) >= count)
        return check_view(self.fake.views[self.fake.opened[count - 1]])

    async def updated(self, view_id: str, old_hash: str) -> dict[str, Any]:
        await until(lambda: self.fake.views[view_id]["hash"] != old_hash)
        return check_view(self.fake.views[view_id])

    async def deliver(self) -> int:
        """Send what the outbox holds (the delivery loop's job), until nothing is due."""
        total = 0
        transports = {"slack": self.service.adapter.transport}
        while sent := await deliver_due(self.engine, transports, self.now):
            total += sent
        return total

    def incident(self, ref: str) -> Incident:
        with Session(self.engine) as session:
            found = session.exec(select(Incident).where(Incident.ref == ref)).one()
            session.expunge(found)
            return found

    def events(self, ref: str) -> list[str]:
        with Session(self.engine) as session:
            incident = session.exec(select(Incident).where(Incident.ref == ref)).one()
            rows = session.exec(
                select(IncidentEvent)
                .where(IncidentEvent.incident_id == incident.id)
                .order_by(col(IncidentEvent.id))
            ).all()
            return [row.kind for row in rows]

    def outbox(self) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(users=dict(PEOPLE))
    await slack.start()
    yield slack
    await slack.stop()


@contextlib.asynccontextmanager
async def running_workspace(engine: Engine, fake: FakeSlack) -> AsyncIterator[Workspace]:
    """The bot on ``engine`` with the Slack directory, listening on 127.0.0.1, using ``fake``."""
    load_directory(engine)
    world: Workspace | None = None
    app = BotApp(engine, clock=lambda: world.now if world else START)
    service = SlackService(app, bot_token=TOKEN, signing_secret=SECRET, api_url=fake.base + "/api/")
    addresses = await service.start(host="127.0.0.1", port=0)
    world = Workspace(engine, fake, service, addresses[0] + "/slack/events")
    try:
        yield world
    finally:
        await world.http.close()
        await service.stop()


@pytest.fixture
async def workspace(sqlite_engine: Engine, fake: FakeSlack) -> AsyncIterator[Workspace]:
    """The bot on SQLite with a Slack directory, listening on 127.0.0.1, talking to the fake."""
    async with running_workspace(sqlite_engine, fake) as world:
        yield world
