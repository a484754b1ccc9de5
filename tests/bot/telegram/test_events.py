"""Telegram updates as neutral events: commands, text, presses, language and chat kind."""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update

from bot.telegram._events import message_event, press_event
from bot.telegram._render import parse_callback_data
from handlers.types import Action, ButtonPress, ChatRef, Command, Text

BOT_NAME = "slabot_test_bot"


def _message(text: str, *, chat_id: int = 1001, is_bot: bool = False, **extra: Any) -> Update:
    chat = (
        {"id": chat_id, "type": "private", "first_name": "Anna"}
        if chat_id > 0
        else {"id": chat_id, "type": "group", "title": "Acme"}
    )
    payload = {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 0,
            "chat": chat,
            "from": {
                "id": 1001,
                "is_bot": is_bot,
                "first_name": "Anna",
                "last_name": "de Vries",
                "language_code": "nl",
            },
            "text": text,
            **extra,
        },
    }
    update = Update.de_json(payload, Bot("1:x"))
    assert update is not None
    return update


def _event(text: str, **kwargs: Any) -> Command | Text | None:
    update = _message(text, **kwargs)
    assert update.message is not None
    return message_event(update.message, BOT_NAME)


def test_a_command_with_arguments() -> None:
    """``/incident Login is down`` is the incident command with its text as arguments."""
    event = _event("/incident Login is down")
    assert isinstance(event, Command)
    assert (event.name, event.args) == ("incident", "Login is down")
    assert event.user.locale == "nl" and event.user.name == "Anna de Vries"
    assert event.chat == ChatRef("telegram", "1001", private=True)


def test_a_command_addressed_to_this_bot_in_a_group() -> None:
    """``/status@slabot_test_bot`` in a group is ours; the chat is not private."""
    event = _event("/Status@SLABOT_test_bot", chat_id=-42)
    assert isinstance(event, Command) and event.name == "status"
    assert event.chat == ChatRef("telegram", "-42", private=False)


def test_a_command_for_another_bot_is_ignored() -> None:
    """In a shared group, ``/help@otherbot`` is not for us."""
    assert _event("/help@otherbot", chat_id=-42) is None


def test_text_and_things_that_only_look_like_commands() -> None:
    """Plain text, and a path such as ``/etc/hosts``, are text."""
    assert isinstance(_event("Niemand kan inloggen"), Text)
    event = _event("/etc/hosts is kapot")
    assert isinstance(event, Text) and event.text == "/etc/hosts is kapot"


def test_messages_from_bots_and_without_text_are_ignored() -> None:
    """Other bots' messages and stickers carry nothing for the bot to handle."""
    assert _event("/help", is_bot=True) is None
    update = _message("", chat_id=1001)
    assert update.message is not None and message_event(update.message, BOT_NAME) is None


def test_a_caption_counts_as_text() -> None:
    """A screenshot with a caption answers a free-text question with the caption."""
    update = Update.de_json(
        {
            "update_id": 2,
            "message": {
                "message_id": 6,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Anna"},
                "photo": [{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}],
                "caption": "Zie schermafdruk",
            },
        },
        Bot("1:x"),
    )
    assert update is not None and update.message is not None
    event = message_event(update.message, BOT_NAME)
    assert isinstance(event, Text) and event.text == "Zie schermafdruk"


def test_a_callback_query_is_a_button_press_on_that_message() -> None:
    """The press names the action, the value, the presser and the message pressed."""
    update = Update.de_json(
        {
            "update_id": 3,
            "callback_query": {
                "id": "q1",
                "chat_instance": "c",
                "data": "ack:PLEK-1",
                "from": {"id": 2001, "is_bot": False, "first_name": "Sam", "language_code": "en"},
                "message": {
                    "message_id": 77,
                    "date": 0,
                    "chat": {"id": -2001, "type": "supergroup", "title": "Support"},
                    "text": "card",
                },
            },
        },
        Bot("1:x"),
    )
    assert update is not None and update.callback_query is not None
    pressed = parse_callback_data(update.callback_query.data)
    assert pressed is not None
    event = press_event(update.callback_query, pressed)
    assert isinstance(event, ButtonPress)
    assert (event.action, event.value) == (Action.ACK, "PLEK-1")
    assert event.user.id == "2001" and event.user.locale == "en"
    assert event.message is not None and event.message.id == "77"
    assert event.chat == ChatRef("telegram", "-2001", private=False)
