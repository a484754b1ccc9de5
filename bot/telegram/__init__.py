"""Telegram: the whole flow in Telegram chats, with python-telegram-bot 22.

``run_telegram(app, settings)`` runs it in the bot's asyncio loop (long polling, or a webhook
when ``TELEGRAM_WEBHOOK_URL`` is set); :class:`TelegramService` starts and stops it explicitly;
:func:`build_application` makes the PTB Application alone; :class:`TelegramTransport` is the
outbox's sender; :class:`AiohttpRequest` is how PTB's calls reach the Bot API. Set-up with
BotFather: ``docs/telegram.md``.
"""

from bot.telegram._commands import command_menu, register_commands
from bot.telegram._render import callback_data, parse_callback_data
from bot.telegram._request import AiohttpRequest
from bot.telegram._service import (
    TelegramConfigError,
    TelegramService,
    api_urls,
    build_application,
    check_settings,
    run_telegram,
)
from bot.telegram._transport import TelegramTransport
from bot.telegram._webhook import WebhookServer

__all__ = [
    "AiohttpRequest",
    "TelegramConfigError",
    "TelegramService",
    "TelegramTransport",
    "WebhookServer",
    "api_urls",
    "build_application",
    "callback_data",
    "check_settings",
    "command_menu",
    "parse_callback_data",
    "register_commands",
    "run_telegram",
]
