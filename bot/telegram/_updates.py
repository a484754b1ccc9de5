"""Telegram's updates as far as PTB and the update handler read them, checked before either does.

PTB turns an update into objects without checking it against the Bot API: a message with a
null ``chat`` becomes a :class:`~telegram.Message` whose ``chat`` is None, and the handler fails
on it later. :func:`read_update` reads a webhook body: an :class:`~telegram.Update`, or what in
it does not have the shape the Bot API documents (for the kinds the bot handles and what they
hold). Unknown fields and update kinds are welcome: they are not read.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import Bot, Update

from bot.shapes import Obj, Shape, misfit

USER = Obj(
    {
        "id": int,
        "is_bot": bool,
        "first_name": str,
        "last_name": str,
        "username": str,
        "language_code": str,
    },
    required=("id", "is_bot", "first_name"),
)
CHAT = Obj(
    {"id": int, "type": str, "title": str, "username": str, "first_name": str},
    required=("id", "type"),
)
ENTITY = Obj(
    {"type": str, "offset": int, "length": int, "url": str, "user": USER, "language": str},
    required=("type", "offset", "length"),
)
BUTTON: dict[str, Shape] = {"text": str, "callback_data": str, "url": str}
KEYBOARD: dict[str, Shape] = {"inline_keyboard": [[Obj(BUTTON, required=("text",))]]}
_MESSAGE_FIELDS: dict[str, Shape] = {
    "message_id": int,
    "date": int,
    "chat": CHAT,
    "from": USER,
    "sender_chat": CHAT,
    "text": str,
    "caption": str,
    "entities": [ENTITY],
    "caption_entities": [ENTITY],
    "reply_markup": KEYBOARD,
    "edit_date": int,
}
# What a message holds (a reply to, a pinned message) has the same shape, one level down.
_INNER = Obj(_MESSAGE_FIELDS, required=("message_id", "chat"))
MESSAGE = Obj(
    {**_MESSAGE_FIELDS, "reply_to_message": _INNER, "pinned_message": _INNER},
    required=("message_id", "date", "chat"),
)
CALLBACK_QUERY = Obj(
    {
        "id": str,
        "from": USER,
        "message": MESSAGE,
        "inline_message_id": str,
        "chat_instance": str,
        "data": str,
    },
    required=("id", "from", "chat_instance"),
)
MEMBER = Obj({"status": str, "user": USER}, required=("status", "user"))
MEMBER_UPDATED = Obj(
    {
        "chat": CHAT,
        "from": USER,
        "date": int,
        "old_chat_member": MEMBER,
        "new_chat_member": MEMBER,
    },
    required=("chat", "from", "date", "old_chat_member", "new_chat_member"),
)
UPDATE = Obj(
    {
        "update_id": int,
        "message": MESSAGE,
        "edited_message": MESSAGE,
        "channel_post": MESSAGE,
        "edited_channel_post": MESSAGE,
        "callback_query": CALLBACK_QUERY,
        "my_chat_member": MEMBER_UPDATED,
        "chat_member": MEMBER_UPDATED,
    },
    required=("update_id",),
)


def read_update(body: str, bot: Bot) -> Update | str:
    """The update a webhook body holds, or what makes it one the bot cannot read (which will
    not change when Telegram sends it again). A body that is not JSON raises ValueError."""
    try:
        data: Any = json.loads(body)
    except RecursionError:
        return "nested too deep"
    found = misfit(data, UPDATE, "update")
    if found is not None:
        return found
    try:
        update = Update.de_json(data, bot)
    except Exception as error:  # a shape PTB does not know
        return f"{type(error).__name__}: {error}"
    return update if isinstance(update, Update) else "not an update"
