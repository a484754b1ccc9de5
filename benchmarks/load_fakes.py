"""The fake platforms of the load benchmark (``bench_load.py``): Slack's Web API and Telegram's Bot
API as far as the bot uses them, and Telegram's delivery of the updates to the bot's webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from load_people import Reporter

TELEGRAM_TOKEN = "123456:BENCH-token"
WEBHOOK_SECRET = "bench-webhook-secret"
BOT = {"id": 123456, "is_bot": True, "first_name": "slabot", "username": "slabot_bench_bot"}
LOCALES = {"nl": "nl-NL", "de": "de-DE", "en": "en-GB"}


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
                "chat": telegram_chat(chat),
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
                "chat": telegram_chat(int(params["chat_id"])),
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


def telegram_chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
    return {"id": chat_id, "type": "supergroup", "title": "support"}
