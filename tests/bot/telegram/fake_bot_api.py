"""A local Bot API server for end-to-end tests: only the methods the bot uses, on 127.0.0.1.

It keeps what Telegram would show (each chat's messages, edited in place), checks what Telegram
checks (HTML parse mode, 64-byte callback data, text length, "message is not modified"), records
every call, and serves injected updates through long polling (``getUpdates`` with ``offset`` and
``timeout``) or, with ``push``, as Telegram does to a webhook: one update at a time, in order, each
posted again until the bot answers 200. Failures are injected per method and chat: flood control
(429 with ``parameters.retry_after``) and blocked users (403); or at random with a
:class:`~tests.bot.chaos.Chaos` (server errors, 429s, answers that never come in time).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from tests.bot.chaos import Chaos, Fault

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "slabot", "username": "slabot_test_bot"}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Html(HTMLParser):
    """Visible text and bold/italic entities of a Telegram HTML text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.open: list[tuple[str, int]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append((tag, utf16(self.text)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: unmatched end tag {tag}")
        _, start = self.open.pop()
        kind = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}.get(tag)
        if kind and utf16(self.text) > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": utf16(self.text) - start}
            )

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """What Telegram shows for an HTML text, or the 400 it answers to malformed markup."""
    stripped = ENTITY.sub("", raw)
    for match in TAG.finditer(stripped):
        if match.group(1).lower() not in ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported tag {match[1]}")
    if re.search(r"[<>&]", TAG.sub("", stripped)):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped character")
    parser = _Html()
    parser.feed(raw)
    parser.close()
    if parser.open:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed tag")
    return parser.text, parser.entities


@dataclass
class Sent:
    """A message the bot sent, as Telegram keeps it (edits change it in place)."""

    chat_id: int
    message_id: int
    text: str
    entities: list[dict[str, Any]]
    markup: dict[str, Any] | None
    kind: str = "text"
    edits: int = 0
    filename: str | None = None
    original: str = ""  # the text as sent, before any edit

    def __post_init__(self) -> None:
        self.original = self.original or self.text

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard."""
        if not self.markup or "inline_keyboard" not in self.markup:
            return []
        return [
            (b["text"], b["callback_data"]) for row in self.markup["inline_keyboard"] for b in row
        ]

    def data_for(self, label: str) -> str:
        found = [data for text, data in self.buttons() if text == label]
        assert found, f"no button {label!r} in {self.buttons()}"
        return found[0]

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": 1_790_000_000,
            "chat": chat_object(self.chat_id),
            "from": BOT,
        }
        if self.kind == "text":
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.markup and "inline_keyboard" in self.markup:  # Telegram shows no other kind
            message["reply_markup"] = self.markup
        return message


def chat_object(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
    return {"id": chat_id, "type": "supergroup", "title": f"group{chat_id}"}


@dataclass
class Person:
    id: int
    first_name: str
    language_code: str | None = None

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class Failure:
    method: str
    chat_id: int | None
    error: ApiError
    times: int


@dataclass
class FakeBotApi:
    """The state of the fake Telegram and the aiohttp handler that serves it."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: dict[tuple[int, int], Sent] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    replays: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    base_url: str = ""
    chaos: Chaos | None = None
    # Calls that took effect but whose answer was held back until the client gave up.
    unanswered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Called when a call has taken effect, before it is answered (a test may kill the bot here).
    on_effect: Callable[[str, dict[str, Any]], None] | None = None
    # Webhook delivery (``push``): the URL and secret the bot set, and what happened.
    push: bool = False
    webhook: tuple[str, str] | None = None
    pushed: int = 0  # updates the bot answered with 200
    push_failures: int = 0  # posts it did not answer with 200 (each is posted again)
    on_push: Callable[[dict[str, Any]], None] | None = None  # about to post an update
    on_webhook: Callable[[], None] | None = None  # the bot has set its webhook
    injected: int = 0  # updates made (each posted until it is answered 200)
    retry_delay: float = 0.05
    _by_chat: dict[int, list[Sent]] = field(default_factory=dict)
    _news: dict[int, asyncio.Event] = field(default_factory=dict)
    _pusher: asyncio.Task[None] | None = None
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _gates: dict[str, asyncio.Event] = field(default_factory=dict)

    # -- what tests do --------------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        self.injected += 1
        self.updates.append(update)
        self._arrived.set()
        return update

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Serve ``update`` once more, offset or not (as after a crash before confirming it)."""
        self.replays.append(update)
        self._arrived.set()
        return update

    def say(
        self, person: Person, text: str, *, chat_id: int | None = None, reply_to: Sent | None = None
    ) -> dict[str, Any]:
        """``person`` writes ``text`` (privately, or in ``chat_id``); returns the update."""
        where = chat_id if chat_id is not None else person.id
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": 1_790_000_000,
            "chat": chat_object(where),
            "from": person.as_user(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to.as_message()
        return self.inject({"update_id": next(self._update_ids), "message": message})

    def press(self, person: Person, message: Sent, label: str) -> dict[str, Any]:
        """``person`` presses the button labelled ``label`` under ``message``."""
        query = {
            "id": f"cq{next(self._ids)}",
            "from": person.as_user(),
            "chat_instance": "ci",
            "message": message.as_message(),
            "data": message.data_for(label),
        }
        return self.inject({"update_id": next(self._update_ids), "callback_query": query})

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` wait (Telegram far away) until the event returned is set."""
        gate = self._gates[method] = asyncio.Event()
        return gate

    def fail(
        self, method: str, error: ApiError, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        self.failures.append(Failure(method, chat_id, error, times))

    def messages(self, chat_id: int) -> list[Sent]:
        return list(self._by_chat.get(chat_id, ()))

    async def wait_for(
        self, chat_id: int, check: Callable[[list[Sent]], T | None], timeout: float = 10.0
    ) -> T:
        """Wait until ``check`` finds something in the chat's messages; woken by each change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            news = self._news.setdefault(chat_id, asyncio.Event())
            news.clear()
            found = check(self._by_chat.get(chat_id, []))
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"nothing found in chat {chat_id} in {timeout} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), remaining)

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.messages(chat_id)]

    def called(self, method: str, **where: Any) -> list[dict[str, Any]]:
        return [
            params
            for name, params in self.calls
            if name == method and all(str(params.get(k)) == str(v) for k, v in where.items())
        ]

    def answers(self) -> list[dict[str, Any]]:
        return self.called("answerCallbackQuery")

    # -- the server -----------------------------------------------------------------------------

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    async def serve(self) -> None:
        """Serve on a free port of 127.0.0.1; ``base_url`` then points at it."""
        # A request the client gave up on ends with its connection (no answer comes any more).
        self._runner = web.AppRunner(self.web_app(), access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def close(self) -> None:
        """Stop posting to the webhook, and serving if :meth:`serve` started it."""
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await _params(request)
        gate = self._gates.get(method)
        if gate is not None:
            await gate.wait()
        self.calls.append((method, params))
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(ApiError(404, f"Not Found: method {method} is not faked"))
        fault = self.chaos.decide(method, params.get("chat_id")) if self.chaos else None
        try:
            self._injected_failure(method, params)
            if fault is not None and fault.kind != "late":
                return await self._fault(fault)
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            return _error(error)
        if self.on_effect is not None:
            self.on_effect(method, params)
        if fault is not None:  # late: it happened, but the answer comes after the client gave up
            self.unanswered.append((method, params))
            await self._hold()
        return web.json_response({"ok": True, "result": result})

    async def _fault(self, fault: Fault) -> web.Response:
        """A failure before anything happened."""
        if fault.kind == "429":
            seconds = fault.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        if fault.kind == "5xx" and fault.status == 502:  # the proxy in front answers, in HTML
            return web.Response(
                status=502, text="<html>502 Bad Gateway</html>", content_type="text/html"
            )
        if fault.kind == "5xx":
            raise ApiError(fault.status, "Internal Server Error")
        await self._hold()
        raise ApiError(504, "Gateway Timeout")

    async def _hold(self) -> None:
        assert self.chaos is not None
        await asyncio.sleep(self.chaos.hold)  # cancelled when the client hangs up

    def _injected_failure(self, method: str, params: dict[str, Any]) -> None:
        chat = params.get("chat_id")
        for failure in self.failures:
            if failure.method != method or failure.times <= 0:
                continue
            if failure.chat_id is not None and str(failure.chat_id) != str(chat):
                continue
            failure.times -= 1
            raise failure.error
        if method.startswith("send") and chat is not None and int(chat) in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # -- methods --------------------------------------------------------------------------------

    def _m_getMe(self, params: dict[str, Any]) -> Any:
        return BOT

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = (params["url"], params.get("secret_token") or "")
        if self.push and self._pusher is None:
            self._pusher = asyncio.create_task(self._push())
        if self.on_webhook is not None:
            self.on_webhook()
        return True

    async def _push(self) -> None:
        """Post the updates to the webhook one at a time, oldest first, each until it is
        answered 200 (``max_connections=1``: a person's updates arrive in order)."""
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                queue = self.replays or self.updates
                if not queue or self.webhook is None:
                    self._arrived.clear()
                    await self._arrived.wait()
                    continue
                update = queue[0]
                if self.on_push is not None:
                    self.on_push(update)
                url, secret = self.webhook
                try:
                    async with http.post(
                        url, json=update, headers={SECRET_HEADER: secret}
                    ) as answer:
                        delivered = answer.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    delivered = False
                if delivered:
                    queue.remove(update)
                    self.pushed += 1
                else:
                    self.push_failures += 1
                    await asyncio.sleep(self.retry_delay)  # Telegram tries again later

    def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        for command in json.loads(params["commands"]):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed
        if not self.updates and not self.replays and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(timeout, 5.0))
        replays, self.replays = self.replays, []
        return replays + [u for u in self.updates if u["update_id"] >= offset][:100]

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        text, entities = self._text(params)
        markup = _markup(params)
        chat = int(params["chat_id"])
        message = Sent(chat, next(self._ids), text, entities, markup)
        self._keep(message)
        return message.as_message()

    def _keep(self, message: Sent) -> None:
        self.sent[(message.chat_id, message.message_id)] = message
        self._by_chat.setdefault(message.chat_id, []).append(message)
        self._changed(message.chat_id)

    def _changed(self, chat_id: int) -> None:
        news = self._news.get(chat_id)
        if news is not None:
            news.set()

    def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.sent.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text, entities = self._text(params)
        markup = _markup(params)
        if (text, entities, markup) == (message.text, message.entities, message.markup):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.text, message.entities, message.markup = text, entities, markup
        message.edits += 1
        self._changed(message.chat_id)
        return message.as_message()

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if utf16(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._file(params, "document")

    def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._file(params, "photo")

    def _file(self, params: dict[str, Any], kind: str) -> Any:
        chat = int(params["chat_id"])
        upload = params.get(kind)
        if not isinstance(upload, web.FileField):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        message = Sent(chat, next(self._ids), params.get("caption") or "", [], None, kind)
        message.filename = upload.filename
        self._keep(message)
        body = message.as_message()
        file = {"file_id": f"f{message.message_id}", "file_unique_id": f"u{message.message_id}"}
        if kind == "photo":
            body["photo"] = [{**file, "width": 10, "height": 10}]
        else:
            body["document"] = {**file, "file_name": upload.filename}
        return body

    # -- checks ---------------------------------------------------------------------------------

    @staticmethod
    def _text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get("text") or ""
        if params.get("parse_mode") == "HTML":
            text, entities = parse_html(raw)
        else:
            text, entities = raw, []
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _markup(params)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return text, entities


def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
    raw = params.get("reply_markup")
    return json.loads(raw) if raw else None


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    form = await request.post()
    return {key: value for key, value in form.items()}


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.code)
