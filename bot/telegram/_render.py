"""Drawing a neutral :class:`Reply` as a Telegram message: HTML text and an inline keyboard.

Every piece of text (the handler's words, what people typed, what the database holds) is
escaped with :func:`html.escape`; only the tags written here reach Telegram, so a report cannot
break or forge the bot's formatting. Texts are cut to Telegram's limits, counted as Telegram
counts them (UTF-16 code units of the visible text).

Buttons carry ``"{action}:{value}"`` as callback data. Telegram allows 64 bytes; a longer one is
sent as ``"#{action}:{digest}"`` and the value is found again in the outbox row that carried the
button (see :func:`find_value`).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from handlers.types import Action, Button, Reply

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_ALERT = 200
MAX_PLACEHOLDER = 64
ELLIPSIS = "…"
HASHED = "#"
# Buttons with labels up to this long go two to a row; longer ones get a row each.
SHORT_LABEL = 20

Segment = tuple[str, str | None]  # visible text, and the tag that wraps it (b, i) or None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, budget: int) -> str:
    """The longest prefix of ``text`` within ``budget`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return text[:index]
    return text


def truncate(segments: Iterable[Segment], limit: int) -> list[Segment]:
    """Keep the visible text within ``limit``, ending in an ellipsis where something was cut."""
    parts = list(segments)
    if sum(utf16_len(text) for text, _ in parts) <= limit:
        return parts
    budget = limit - utf16_len(ELLIPSIS)
    kept: list[Segment] = []
    for text, tag in parts:
        size = utf16_len(text)
        if size <= budget:
            kept.append((text, tag))
            budget -= size
            continue
        if budget > 0:
            kept.append((_cut(text, budget), tag))
        break
    kept.append((ELLIPSIS, None))
    return kept


def to_html(segments: Iterable[Segment]) -> str:
    out = []
    for text, tag in segments:
        escaped = html.escape(text, quote=False)
        out.append(f"<{tag}>{escaped}</{tag}>" if tag and text else escaped)
    return "".join(out)


def to_plain(segments: Iterable[Segment]) -> str:
    return "".join(text for text, _ in segments)


def segments(reply: Reply) -> list[Segment]:
    """The visible parts of a reply: title, text, facts, and choices that have no buttons."""
    parts: list[Segment] = []
    text = reply.text.strip("\n")
    if reply.title and reply.title != text:
        parts += [(reply.title, "b"), ("\n", None)]
    parts.append((text, None))
    if reply.facts:
        parts.append(("\n", None))
        for label, value in reply.facts:
            parts += [("\n", None), (label, "b"), (": ", None), (value, None)]
    if reply.prompt is not None and reply.prompt.choices and not reply.buttons:
        parts.append(("\n", None))
        for number, choice in enumerate(reply.prompt.choices, 1):
            parts.append((f"\n{number}. {choice.label}", None))
    if not to_plain(parts).strip():
        parts = [("—", None)]
    return parts


def body(reply: Reply, limit: int = MAX_TEXT) -> tuple[str, str]:
    """The reply's HTML and its visible text, within ``limit``."""
    parts = truncate(segments(reply), limit)
    return to_html(parts), to_plain(parts)


def plain_text(reply: Reply) -> str:
    """What the reply says, without formatting and without a length limit."""
    return to_plain(segments(reply))


def digest(value: str) -> str:
    raw = hashlib.sha256(value.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")[:22]


def callback_data(action: Action, value: str) -> str:
    """``"{action}:{value}"``, or a digest of the value when that would exceed 64 bytes."""
    data = f"{action.value}:{value}"
    if len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return data
    return f"{HASHED}{action.value}:{digest(value)}"


@dataclass(frozen=True)
class Pressed:
    """Parsed callback data; ``hashed`` when ``value`` is a digest to look up."""

    action: Action
    value: str
    hashed: bool = False


def parse_callback_data(data: str | None) -> Pressed | None:
    if not data:
        return None
    hashed = data.startswith(HASHED)
    name, sep, value = data.removeprefix(HASHED).partition(":")
    if not sep:
        return None
    try:
        action = Action(name)
    except ValueError:
        return None
    return Pressed(action, value, hashed)


def buttons_of(reply: Reply) -> tuple[Button, ...]:
    """The reply's buttons; a question's choices become answer buttons when it has none."""
    if reply.buttons:
        return reply.buttons
    if reply.prompt is not None and reply.prompt.choices:
        return tuple(Button(c.label, Action.ANSWER, c.id) for c in reply.prompt.choices)
    return ()


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    keys = [
        InlineKeyboardButton(b.label, callback_data=callback_data(b.action, b.value))
        for b in buttons
    ]
    width = 2 if all(len(b.label) <= SHORT_LABEL for b in buttons) else 1
    rows = [keys[i : i + width] for i in range(0, len(keys), width)]
    return InlineKeyboardMarkup(rows)


def markup(reply: Reply, *, private: bool) -> InlineKeyboardMarkup | ForceReply | None:
    """Inline buttons; in a group, a free-text question asks for a reply to itself.

    Replies to the bot's messages reach it even with privacy mode on, and a forced reply makes
    answering one the default in the chat.
    """
    board = keyboard(buttons_of(reply))
    if board is not None:
        return board
    if reply.prompt is not None and not private:
        placeholder = _cut(reply.prompt.text, MAX_PLACEHOLDER).strip() or None
        return ForceReply(input_field_placeholder=placeholder)
    return None


def alert_text(reply: Reply) -> str | None:
    """The text for ``answerCallbackQuery(show_alert)``, if the reply fits one."""
    if reply.buttons or reply.attachments or reply.facts:
        return None
    text = reply.text.strip()
    if not text or utf16_len(text) > MAX_ALERT:
        return None
    return text


def find_value(payloads: Iterable[Mapping[str, Any]], action: Action, hashed: str) -> str | None:
    """The button value behind a digest, from the payloads of messages sent to the chat."""
    for payload in payloads:
        candidates = [
            (str(b.get("action")), str(b.get("value", ""))) for b in payload.get("buttons") or ()
        ]
        prompt = payload.get("prompt") or {}
        candidates += [
            (Action.ANSWER.value, str(c.get("id", ""))) for c in prompt.get("choices") or ()
        ]
        for name, value in candidates:
            if name == action.value and digest(value) == hashed:
                return value
    return None
