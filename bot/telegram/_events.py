"""Telegram updates as neutral inbound events.

A message starting with ``/name`` (or ``/name@thisbot``) is a :class:`Command`; a command for
another bot in the same group is not ours. Other text (or a caption) is :class:`Text`. A callback
query is a :class:`ButtonPress`. The person's ``language_code`` becomes ``UserRef.locale``; a
chat of type ``private`` is a private :class:`ChatRef`, every other chat a group.
"""

from __future__ import annotations

import re

from telegram import CallbackQuery, Chat, Message, User

from bot.telegram._render import Pressed
from handlers.types import ButtonPress, ChatRef, Command, MessageRef, Text, UserRef

PLATFORM = "telegram"
# Telegram's command syntax: up to 32 letters, digits and underscores, optionally @bot.
COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$", re.DOTALL)


def user_ref(user: User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.full_name, user.language_code)


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id), private=chat.type == Chat.PRIVATE)


def message_event(message: Message, bot_username: str) -> Command | Text | None:
    """The event a message stands for; None for what the bot ignores (other bots, no text)."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    text = message.text if message.text is not None else message.caption
    if not text:
        return None
    who, where = user_ref(user), chat_ref(message.chat)
    found = COMMAND.match(text.strip())
    if found is None:
        return Text(text, who, where)
    name, addressee, args = found.groups()
    if addressee is not None and addressee.casefold() != bot_username.casefold():
        return None  # /help@otherbot in a shared group
    return Command(name.lower(), (args or "").strip(), who, where)


def press_event(query: CallbackQuery, pressed: Pressed) -> ButtonPress | None:
    """A button press on one of the bot's messages; None without an accessible message."""
    message = query.message
    if message is None:
        return None
    where = chat_ref(message.chat)
    return ButtonPress(
        pressed.action,
        pressed.value,
        user_ref(query.from_user),
        where,
        MessageRef(where, str(message.message_id)),
    )
