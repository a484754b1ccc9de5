"""A local fake of the parts of Slack the bot uses: the Web API methods, file uploads,
response URLs and Socket Mode, on 127.0.0.1. Every call is recorded; failures (429 with
Retry-After, error codes) can be queued per method, or drawn at random with a
:class:`~tests.bot.chaos.Chaos` (server errors, 429s, answers that never come in time)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.bot.chaos import Chaos, Fault

TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER = "UBOT"
JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Failure:
    status: int = 200
    error: str = "ratelimited"
    retry_after: int | None = None


@dataclass
class FakeSlack:
    """Slack's Web API as far as slabot uses it; ``users`` maps ids to (name, locale)."""

    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened: list[str] = field(default_factory=list)  # view ids, in the order opened
    uploads: dict[str, bytes] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    inactive: set[str] = field(default_factory=set)  # deactivated accounts: no DM reaches them
    history_error: str | None = None  # what conversations.history answers instead (missing_scope)
    # What people see, in order: (conversation, ts, text) of each post and ephemeral message;
    # the conversation of an ephemeral one is CHANNEL/USER.
    posted: list[tuple[str, str, str]] = field(default_factory=list)
    chaos: Chaos | None = None
    clock: Callable[[], datetime] | None = None  # the time Slack stamps messages with
    # Called with each call that took effect, before its answer goes back (a test kills the
    # bot there: Slack has the message, the bot never hears so).
    on_effect: Callable[[Call], None] | None = None
    # Calls that took effect but whose answer was held back until the client gave up.
    unanswered: list[Call] = field(default_factory=list)
    # The client end (host, port) of each connection a Web API call came on.
    connections: set[tuple[str, int]] = field(default_factory=set)
    base: str = ""
    _counter: int = 0
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_connected: asyncio.Event = field(default_factory=asyncio.Event)

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._api),
                web.post("/upload/{file_id}", self._upload),
                web.post("/response/{id}", self._response),
                web.get("/socket", self._socket),
            ]
        )
        # A request the client gave up on ends with its connection (no answer comes any more).
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        return f"{self.base}/api/"

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests look at ---------------------------------------------------------------------

    def fail(self, method: str, *failures: Failure) -> None:
        self.failures.setdefault(method, []).extend(failures)

    def to(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def sent_to(self, channel: str) -> list[dict[str, Any]]:
        """``chat.postMessage`` calls addressed to ``channel`` (a user id for a DM)."""
        return [a for a in self.to("chat.postMessage") if a.get("channel") == channel]

    def ephemeral(self, channel: str, user: str) -> list[dict[str, Any]]:
        return [
            a
            for a in self.to("chat.postEphemeral")
            if a.get("channel") == channel and a.get("user") == user
        ]

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base}/response/{key}"

    # -- the API ----------------------------------------------------------------------------------

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _ts(self) -> str:
        """Slack's message timestamp: the time of posting (the test's clock if it has one),
        made unique and increasing by the call counter."""
        now = self.clock().timestamp() if self.clock else time.time()
        return f"{int(now)}.{self._next():06d}"

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            elif request.content_type == "application/x-www-form-urlencoded":
                args.update(dict(parse_qsl(raw.decode())))
        for key in JSON_ARGS:
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        self.calls.append(Call(method, args))
        self.connections.add(request.transport.get_extra_info("peername")[:2])  # type: ignore[union-attr]
        pending = self.failures.get(method)
        if pending:
            failure = pending.pop(0)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            body = {"ok": False, "error": failure.error}
            return web.json_response(body, status=failure.status, headers=headers)
        wanted = f"Bearer {APP_TOKEN}" if method == "apps.connections.open" else f"Bearer {TOKEN}"
        if auth != wanted:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "m_" + method.replace(".", "_"), None
        )
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        fault = self.chaos.decide(method, self._conversation(args)) if self.chaos else None
        if fault is not None and fault.kind != "late":
            return await self._fault(fault)
        result = handler(args)
        if self.on_effect is not None and result.get("ok"):
            self.on_effect(self.calls[-1])
        if fault is not None:  # late: it happened, but the answer comes after the client gave up
            self.unanswered.append(self.calls[-1])
            await self._hold()
        return web.json_response(result)

    def _conversation(self, args: dict[str, Any]) -> str:
        """Where a call writes, as the outbox names it (a DM by user id, CHANNEL/USER)."""
        channel = self._channel(str(args.get("channel", "")))
        user = args.get("user")
        return f"{channel}/{user}" if user else channel

    async def _fault(self, fault: Fault) -> web.Response:
        """A failure before anything happened."""
        if fault.kind == "429":
            headers = {"Retry-After": str(fault.retry_after)}
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers=headers)
        if fault.kind == "5xx" and fault.status == 502:  # the load balancer answers, in HTML
            return web.Response(
                status=502, text="<html>Bad Gateway</html>", content_type="text/html"
            )
        if fault.kind == "5xx":
            error = "internal_error" if fault.status == 500 else "service_unavailable"
            return web.json_response({"ok": False, "error": error}, status=fault.status)
        await self._hold()
        return web.json_response({"ok": False, "error": "request_timeout"}, status=504)

    async def _hold(self) -> None:
        assert self.chaos is not None
        await asyncio.sleep(self.chaos.hold)  # cancelled when the client hangs up

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "slabot",
            "team_id": "T1",
            "user_id": BOT_USER,
            "bot_id": "BBOT",
        }

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user", "")
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        name, locale = self.users[user_id]
        user: dict[str, Any] = {
            "id": user_id,
            "name": name.split()[0].lower(),
            "real_name": name,
            "profile": {"real_name": name, "display_name": ""},
        }
        if str(args.get("include_locale")).lower() in ("true", "1"):
            user["locale"] = locale  # Slack leaves it out unless asked
        return {"ok": True, "user": user}

    def _channel(self, channel: str) -> str:
        return "D" + channel[1:] if channel.startswith("U") else channel

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel.startswith("CGONE"):
            return {"ok": False, "error": "channel_not_found"}
        if args["channel"] in self.inactive:
            return {"ok": False, "error": "account_inactive"}
        ts = self._ts()
        self.messages[(channel, ts)] = {
            "text": args.get("text"),
            "blocks": args.get("blocks"),
            "metadata": args.get("metadata"),
        }
        self.posted.append((channel, ts, str(args.get("text"))))
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text")}}

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args["channel"], args["ts"])
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key] = {"text": args.get("text"), "blocks": args.get("blocks")}
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["channel"].startswith("CGONE"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._ts()
        self.posted.append((f"{args['channel']}/{args['user']}", ts, str(args.get("text"))))
        return {"ok": True, "message_ts": ts}

    def m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first, from ``oldest`` on, ``limit`` a page; metadata only when asked for."""
        if self.history_error:
            return {"ok": False, "error": self.history_error}
        channel, oldest = str(args["channel"]), float(args.get("oldest", 0))
        with_metadata = str(args.get("include_all_metadata")).lower() in ("true", "1")
        found = sorted(
            (
                (ts, message)
                for (where, ts), message in self.messages.items()
                if where == channel and float(ts) > oldest
            ),
            reverse=True,
        )
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit", 100))
        page = []
        for ts, message in found[start : start + limit]:
            shown = {"type": "message", "ts": ts, "text": message["text"]}
            if with_metadata and message.get("metadata"):
                shown["metadata"] = message["metadata"]
            page.append(shown)
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": self._channel(str(args["users"]))}}

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        n = self._next()
        view = {**args["view"], "id": f"V{n}", "hash": f"h{n}"}
        self.views[view["id"]] = view
        self.opened.append(view["id"])
        return {"ok": True, "view": view}

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id", "")
        current = self.views.get(view_id)
        if current is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return {"ok": True, "view": self.replace_view(view_id, args["view"])}

    def replace_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """What Slack does on ``views.update`` and on a ``response_action: update``."""
        new = {**view, "id": view_id, "hash": f"h{self._next()}"}
        self.views[view_id] = new
        return new

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{self._next()}"
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = [{"id": f["id"], "title": f.get("title")} for f in args["files"]]
        return {"ok": True, "files": files}

    def m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ws = self.base.replace("http://", "ws://") + "/socket"
        return {"ok": True, "url": ws}

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    # -- Socket Mode ------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self.socket_connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return socket

    async def envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Send one Socket Mode envelope (``slash_commands``, ``events_api``, ``interactive``)."""
        envelope_id = f"env-{self._next()}"
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
