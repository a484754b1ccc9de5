"""Running the Telegram side in the bot's asyncio loop: receiving updates, answering presses.

One PTB :class:`~telegram.ext.Application` per run, never ``run_polling``/``run_webhook`` (they
own the loop). Updates arrive by long polling, or by webhook when ``TELEGRAM_WEBHOOK_URL`` is set
(our own aiohttp endpoint checks Telegram's secret-token header). Each update becomes a neutral
event handled once per ``update_id`` by the inbox; what it sends goes through the outbox, so
flood limits and restarts lose nothing. A button press is always answered
(``answerCallbackQuery``), with an alert when the handlers refuse it.

Flow of one update::

    getUpdates / webhook ─▶ Update ─▶ Command | Text | ButtonPress ─▶ BotApp.handle (inbox)
                                                   │ inline replies       │ replies
                                                   ▼                      ▼
                                     answerCallbackQuery(alert)      outbox ─▶ TelegramTransport
                                     or a message via the outbox
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlmodel import Session, col, select
from telegram import CallbackQuery, ChatMember, ChatMemberUpdated, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, TypeHandler

from bot.app import BotApp
from bot.outbox import deliver_due, enqueue
from bot.settings import Settings
from bot.telegram._commands import register_commands
from bot.telegram._events import PLATFORM, chat_ref, message_event, press_event
from bot.telegram._render import (
    MAX_TEXT,
    Pressed,
    alert_text,
    find_value,
    parse_callback_data,
    utf16_len,
)
from bot.telegram._transport import TelegramTransport
from bot.telegram._updates import read_update
from bot.unreachable import mark_reachable, record_unreachable
from handlers.types import Action, ChatRef, Reply
from sla.db import session_scope
from sla.directory import binding
from sla.i18n import translator
from sla.models import OutboxMessage

log = logging.getLogger(__name__)
TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Presses that answer a question: the question then shows the answer and loses its buttons.
CHOICES = (Action.ANSWER, Action.CONFIRM, Action.CANCEL, Action.SET_PRIORITY)
# How many recent messages of a chat are searched for a button's digested value.
LOOKBACK = 500
FLUSH_SECONDS = 10.0
MAX_RETRY_DELAY = 60.0


class TelegramConfigError(ValueError):
    """The settings do not allow running the Telegram side."""


def api_urls(base_url: str | None) -> tuple[str, str] | None:
    """PTB's ``base_url`` and ``base_file_url`` for a Bot API server (``http://host:8081``)."""
    if not base_url:
        return None
    root = base_url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def check_settings(settings: Settings) -> None:
    if not settings.telegram_bot_token:
        raise TelegramConfigError("TELEGRAM_BOT_TOKEN is not set")
    if settings.telegram_webhook_url is None:
        return
    secret = settings.telegram_webhook_secret or ""
    if not SECRET_PATTERN.match(secret):
        raise TelegramConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL: 1 to 256 characters "
            "of A-Z, a-z, 0-9, _ and -"
        )
    if urlsplit(settings.telegram_webhook_url).scheme not in ("http", "https"):
        raise TelegramConfigError("TELEGRAM_WEBHOOK_URL must be an http(s) URL")


def build_application(app: BotApp, settings: Settings) -> TelegramApplication:
    """A PTB Application that hands every update to ``app`` (not started; no JobQueue)."""
    check_settings(settings)
    assert settings.telegram_bot_token is not None
    builder = Application.builder().token(settings.telegram_bot_token).job_queue(None)
    urls = api_urls(settings.telegram_api_base_url)
    if urls is not None:
        builder = builder.base_url(urls[0]).base_file_url(urls[1])
    if settings.telegram_webhook_url is not None:
        builder = builder.updater(None)
    application: TelegramApplication = builder.build()
    updates = UpdateHandler(app, application)
    application.add_handler(TypeHandler(Update, updates.on_update))
    application.add_error_handler(updates.on_error)
    return application


def _nothing(reply: Reply) -> bool:
    return False


def _popup(reply: Reply) -> bool:
    return reply.alert and alert_text(reply) is not None


class UpdateHandler:
    """Turns updates into events for :class:`BotApp` and shows what comes back inline."""

    def __init__(self, app: BotApp, application: TelegramApplication) -> None:
        self.app = app
        self.application = application

    def _key(self, update: Update) -> str:
        # update_id counts per bot: with the bot's id the key stays unique if the token changes.
        return f"{self.application.bot.id}:{update.update_id}"

    async def on_update(self, update: Update, context: Any) -> None:
        if update.callback_query is not None:
            await self._press(update, update.callback_query)
        elif update.my_chat_member is not None:
            await self._membership(update.my_chat_member)
        elif update.message is not None:
            await self._message(update, update.message)

    async def on_error(self, update: object, context: Any) -> None:
        log.error("handling a Telegram update failed", exc_info=getattr(context, "error", None))

    async def _message(self, update: Update, message: Message) -> None:
        event = message_event(message, self.application.bot.username)
        if event is None:
            return
        if event.chat.private:
            await asyncio.to_thread(self._reachable, event.chat.id)
        # Every answer is a message, queued with the change: if the process dies before
        # Telegram hears 200, the redelivery is a duplicate and nothing has been lost.
        inline = await self.app.handle(event, dedupe=self._key(update), inline=_nothing)
        await self._show(inline, event.chat)  # only "something went wrong" (nothing changed)

    async def _press(self, update: Update, query: CallbackQuery) -> None:
        pressed = parse_callback_data(query.data)
        if pressed is not None and pressed.hashed:
            pressed = await asyncio.to_thread(self._look_up, query, pressed)
        event = press_event(query, pressed) if pressed is not None else None
        if event is None or pressed is None:
            t = translator(query.from_user.language_code)
            await self._answer(query, t._("This button has expired."), alert=True)
            return
        # Only what a pop-up can show comes back; the rest is queued with the change.
        inline = await self.app.handle(event, dedupe=self._key(update), inline=_popup)
        alert = next((r for r in inline if r.alert and alert_text(r) is not None), None)
        await self._answer(query, alert_text(alert) if alert else None, alert=alert is not None)
        await self._show([r for r in inline if r is not alert], event.chat)
        if alert is None and pressed.action in CHOICES:
            await self._mark_choice(query)

    async def _membership(self, change: ChatMemberUpdated) -> None:
        """The bot's own membership: blocked or unblocked privately, added to a group."""
        chat = chat_ref(change.chat)
        status = change.new_chat_member.status
        if chat.private:
            if status == ChatMember.BANNED:
                await asyncio.to_thread(self._record_blocked, chat)
            elif status == ChatMember.MEMBER:
                await asyncio.to_thread(self._reachable, chat.id)
            return
        joined = status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
        was_out = change.old_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED)
        locale = change.from_user.language_code
        if joined and was_out and await asyncio.to_thread(self._greet, chat, locale):
            self.app.delivery.poke()

    async def _answer(self, query: CallbackQuery, text: str | None, *, alert: bool) -> None:
        try:
            await query.answer(text=text, show_alert=alert if text else None)
        except TelegramError as error:  # too old (a redelivery), or Telegram is away
            log.info("answering a callback query failed: %s", error)

    async def _show(self, replies: Sequence[Reply], chat: ChatRef) -> None:
        """Replies for the person who acted, as messages in their chat (via the outbox)."""
        if not replies:
            return
        await asyncio.to_thread(self._enqueue, [replace(r, chat=chat) for r in replies])
        self.app.delivery.poke()

    async def _mark_choice(self, query: CallbackQuery) -> None:
        """The question shows the chosen answer and loses its buttons (cannot be pressed twice)."""
        message = query.message
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        label = next(
            (
                button.text
                for row in message.reply_markup.inline_keyboard
                for button in row
                if button.callback_data == query.data
            ),
            None,
        )
        if label is None or message.text is None:
            return
        if utf16_len(message.text) + utf16_len(label) + 3 > MAX_TEXT:
            return
        try:
            shown = message.text_html
        except ValueError:  # entities that split a character: the text without them
            shown = html.escape(message.text, quote=False)
        try:
            await message.edit_text(
                f"{shown}\n\n» <b>{html.escape(label, quote=False)}</b>",
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        except TelegramError as error:
            log.info("marking the chosen answer failed: %s", error)

    # -- database work, run in a thread -------------------------------------------------------

    def _enqueue(self, replies: list[Reply]) -> None:
        with session_scope(self.app.engine) as session:
            enqueue(session, replies, self.app.clock())

    def _reachable(self, chat_id: str) -> None:
        with session_scope(self.app.engine) as session:
            mark_reachable(session, PLATFORM, chat_id)

    def _record_blocked(self, chat: ChatRef) -> None:
        with session_scope(self.app.engine) as session:
            record_unreachable(session, chat, "blocked the bot", self.app.clock())

    def _greet(self, chat: ChatRef, locale: str | None) -> bool:
        """Added to a group the directory does not know: say its id, which binding needs."""
        with session_scope(self.app.engine) as session:
            if binding(session, chat.platform, chat.id) is not None:
                return False
            t = translator(locale)
            text = t._(
                "Hello! The id of this chat is {chat_id}. I work here once an administrator "
                "adds it to the directory file: under a customer's chats, or under "
                "support_chats.",
                chat_id=chat.id,
            )
            enqueue(session, [Reply(text, chat=chat, lang=t.lang)], self.app.clock())
        return True

    def _look_up(self, query: CallbackQuery, pressed: Pressed) -> Pressed | None:
        """The value behind a digested button, from the recent messages to that chat."""
        if query.message is None:
            return None
        chat_id = str(query.message.chat.id)
        with Session(self.app.engine) as session:
            rows = session.exec(
                select(OutboxMessage.payload)
                .where(OutboxMessage.platform == PLATFORM)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(col(OutboxMessage.id).desc())
                .limit(LOOKBACK)
            ).all()
        value = find_value(rows, pressed.action, pressed.value)
        return None if value is None else Pressed(pressed.action, value)


class WebhookServer:
    """Receives updates Telegram posts; refuses a request without the right secret token."""

    def __init__(
        self, application: TelegramApplication, *, secret: str, path: str, host: str, port: int
    ) -> None:
        self.application = application
        self.secret = secret.encode("utf-8")
        self.path = path or "/"
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        server = web.Application()
        server.router.add_post(self.path, self.receive)
        return server

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook request without the right secret token refused")
            return web.Response(status=403)
        try:
            update = read_update((await request.read()).decode(), self.application.bot)
        except ValueError as error:  # not JSON: damaged on the way; a retry may do better
            log.warning("webhook request refused: %s", error)
            return web.Response(status=400)
        if isinstance(update, str):
            # Telegram would send it again and again (and hold back what follows meanwhile),
            # failing the same way each time: acknowledged and dropped.
            log.warning("an update that cannot be read was dropped: %s", update)
            return web.Response(status=200)
        # Handled before answering: if the process dies first, Telegram sends it again.
        await self.application.process_update(update)
        return web.Response(status=200)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("Telegram webhook listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class TelegramService:
    """Starts and stops the Telegram side for one :class:`BotApp` (which runs delivery)."""

    def __init__(self, app: BotApp, settings: Settings, *, poll_timeout: float = 10.0) -> None:
        self.app = app
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.application = build_application(app, settings)
        self.transport = TelegramTransport(
            self.application.bot, app.engine, clock=app.clock, on_queued=app.delivery.poke
        )
        self.webhook: WebhookServer | None = None
        if settings.telegram_webhook_url is not None:
            self.webhook = WebhookServer(
                self.application,
                secret=settings.telegram_webhook_secret or "",
                path=urlsplit(settings.telegram_webhook_url).path,
                host=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
            )

    async def start(self) -> None:
        """Connect (``getMe``), set the command menu, and start receiving updates."""
        application = self.application
        await application.initialize()
        self.app.add_transport(self.transport)
        await register_commands(application.bot)
        await application.start()
        if self.webhook is not None:
            await self.webhook.start()
            await application.bot.set_webhook(
                self.settings.telegram_webhook_url or "",
                secret_token=self.settings.telegram_webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=1,  # one at a time: a person's messages stay in order
            )
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout), allowed_updates=list(ALLOWED_UPDATES)
            )
        log.info("Telegram bot @%s started", application.bot.username)
        self.app.delivery.poke()  # messages that waited for Telegram

    async def stop(self) -> None:
        """Stop receiving, handle what was received, send what is due, then disconnect."""
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if self.webhook is not None:
            await self.webhook.stop()
        if application.running:
            await application.stop()
        if self.app.transports.get(PLATFORM) is self.transport:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush(), FLUSH_SECONDS)
            del self.app.transports[PLATFORM]  # the rest waits in the outbox for a new start
        await application.shutdown()
        await application.bot.shutdown()  # also after a failed start (idempotent)

    async def _flush(self) -> None:
        transports = {PLATFORM: self.transport}
        delivery = self.app.delivery
        while await deliver_due(
            self.app.engine,
            transports,
            delivery.clock(),
            clock=delivery.clock,
            lease=delivery.lease,
        ):
            pass


async def run_telegram(app: BotApp, settings: Settings, *, retry_delay: float = 1.0) -> None:
    """Run the Telegram side until cancelled (``app.start()`` runs delivery and timers).

    While Telegram cannot be reached at start-up it tries again, waiting longer each time (up to
    a minute); a wrong token or a refused webhook URL ends it with the error.
    """
    delay = retry_delay
    while True:
        service = TelegramService(app, settings)
        try:
            await service.start()
            break
        except (NetworkError, RetryAfter) as error:
            if isinstance(error, BadRequest):
                raise
            log.warning("Telegram not reachable (%s); trying again in %.0f s", error, delay)
            await service.stop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)
    try:
        await asyncio.Event().wait()
    finally:
        await service.stop()
