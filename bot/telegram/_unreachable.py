"""How Telegram explains a chat the bot cannot write to (the rest is :mod:`bot.unreachable`).

A person who blocked the bot or never started a private chat with it cannot be written to; nor
can a group that removed the bot.
"""

from __future__ import annotations

from bot.unreachable import Wording
from sla.i18n import Translator


def _person(t: Translator, name: str) -> str:
    return t._(
        "{name} cannot be reached on Telegram: they blocked the bot or never started a "
        "private chat with it. This message did not reach them:",
        name=name,
    )


def _group(t: Translator, customer: str) -> str:
    return t._(
        "The bot cannot write to the Telegram group of {customer} any more (it was "
        "removed or may not post there). This message did not arrive:",
        customer=customer,
    )


WORDING = Wording(person=_person, group=_group)
