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

This module builds the PTB Application and starts and stops receiving; turning updates into
events is :mod:`bot.telegram._update_handler`, the webhook endpoint :mod:`bot.telegram._webhook`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import Application, TypeHandler

from bot.app import BotApp
from bot.failures import summary
from bot.outbox_delivery import deliver_due
from bot.settings import Settings
from bot.telegram._commands import register_commands
from bot.telegram._events import PLATFORM
from bot.telegram._request import AiohttpRequest
from bot.telegram._transport import TelegramTransport
from bot.telegram._update_handler import TelegramApplication, UpdateHandler
from bot.telegram._webhook import WebhookServer

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
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
    return _build(app, settings)[0]


def _build(app: BotApp, settings: Settings) -> tuple[TelegramApplication, UpdateHandler]:
    check_settings(settings)
    assert settings.telegram_bot_token is not None
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .job_queue(None)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
    )
    urls = api_urls(settings.telegram_api_base_url)
    if urls is not None:
        builder = builder.base_url(urls[0]).base_file_url(urls[1])
    if settings.telegram_webhook_url is not None:
        builder = builder.updater(None)
    application: TelegramApplication = builder.build()
    updates = UpdateHandler(app, application)
    application.add_handler(TypeHandler(Update, updates.on_update))
    application.add_error_handler(updates.on_error)
    return application, updates


class TelegramService:
    """Starts and stops the Telegram side for one :class:`BotApp` (which runs delivery)."""

    def __init__(self, app: BotApp, settings: Settings, *, poll_timeout: float = 10.0) -> None:
        self.app = app
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.application, self.updates = _build(app, settings)
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
            try:
                await asyncio.wait_for(self._flush(), FLUSH_SECONDS)
            except TimeoutError:
                pass
            except Exception as error:  # the database away: the messages wait in the outbox
                log.warning("Telegram: could not send what is in hand (%s)", summary(error))
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
            concurrency=delivery.concurrency,
        ):
            pass


async def run_telegram(
    app: BotApp,
    settings: Settings,
    *,
    retry_delay: float = 1.0,
    started: Callable[[], None] | None = None,
) -> None:
    """Run the Telegram side until cancelled (``app.start()`` runs delivery and timers).

    While Telegram cannot be reached at start-up it tries again, waiting longer each time (up to
    a minute); a wrong token or a refused webhook URL ends it with the error, after closing
    what the attempt opened. ``started`` is called once updates come in.
    """
    delay = retry_delay
    while True:
        service = TelegramService(app, settings)
        try:
            await service.start()
            break
        except (NetworkError, RetryAfter) as error:
            await service.stop()
            if isinstance(error, BadRequest):
                raise
            log.warning("Telegram not reachable (%s); trying again in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)
        except BaseException:
            await service.stop()
            raise
    try:
        if started is not None:
            started()
        await asyncio.Event().wait()
    finally:
        await service.stop()
