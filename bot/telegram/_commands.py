"""The command menu Telegram shows, in the reader's language (``setMyCommands``)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from sla.i18n import LANGUAGES, translator

log = logging.getLogger(__name__)


def command_menu(lang: str) -> list[BotCommand]:
    """The commands everyone may use, described in ``lang``."""
    t = translator(lang)
    return [
        BotCommand("incident", t._("Report an incident")),
        BotCommand("status", t._("Your organisation's open incidents")),
        BotCommand("escalate", t._("Ask for escalation of an incident")),
        BotCommand("cancel", t._("Stop the report you are writing")),
        BotCommand("help", t._("What you can do here")),
        BotCommand("start", t._("Start talking to the bot")),
    ]


async def register_commands(bot: Bot) -> None:
    """English for everyone, and a list per language Telegram picks by ``language_code``."""
    try:
        await bot.set_my_commands(command_menu("en"))
        for lang in LANGUAGES:
            await bot.set_my_commands(command_menu(lang), language_code=lang)
    except TelegramError:
        # The menu is a convenience: the commands work without it.
        log.exception("setting the Telegram command menu failed")
