"""Neutral replies drawn as Block Kit messages (the incident card, pings), and the pieces the
modals (:mod:`bot.slack.modals`) are drawn with too.

A message gets a header (the reply's title), its text, its facts as fields and its buttons in an
actions block; a free-text question sent as a message gets an "Answer" button that opens it as a
modal. Everything a person typed is escaped (:mod:`bot.slack.mrkdwn`), and every text is cut to
Slack's limits so a long report cannot make Slack reject the message.

Slack answers ``/status``, ``/help`` and other slash commands itself, so people type the bot's
commands after ``/slabot``: a command the handlers mention in their texts (``Type /status to
follow it``) is drawn as ``/slabot status`` (:func:`slack_commands`); ``/incident`` is a slash
command of its own and stays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from bot.slack.mrkdwn import escape
from handlers.router import COMMANDS
from handlers.types import Action, Button, Prompt, Reply
from sla.i18n import translator

Block = dict[str, Any]

INCIDENT_COMMAND = "/incident"
SLABOT_COMMAND = "/slabot"  # every other command: /slabot status, /slabot ack PLEK-42 …
ACTION_PREFIX = "slabot|"
FORM_ACTION = "slabot_form"  # "Answer" on a free-text question sent as a message
CHOICE_ACTION = f"{ACTION_PREFIX}{Action.ANSWER.value}|choice"
VIEW_CALLBACK = "slabot_form"
ANSWER_BLOCK = "answer"
ANSWER_ELEMENT = "text"
CONFIRM_STEP = "confirm"

# Slack's limits (https://docs.slack.dev/reference/block-kit).
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
ACTIONS_PER_BLOCK = 25
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_TITLE = 24
INPUT_LABEL = 2000
INPUT_MAX_LENGTH = 3000
MESSAGE_TEXT = 4000  # the notification text; Slack truncates longer ones anyway


# "/status" where a command is mentioned: at the start of a word, not inside a path or URL.
_COMMAND_MENTION = re.compile(r"(?<![\w/.:~-])/([A-Za-z]+)(?![\w/-])")


def slack_commands(text: str) -> str:
    """``text`` with the router's commands as Slack users type them: ``/slabot status``.

    Only commands the router knows are rewritten (``/cancel`` included); ``/incident`` stays,
    and so do other slashes (``https://example.com/status``, ``/tmp``).
    """

    def rewrite(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if f"/{name}" == INCIDENT_COMMAND or (name != "cancel" and name not in COMMANDS):
            return match.group(0)
        return f"{SLABOT_COMMAND} {match.group(1)}"

    return _COMMAND_MENTION.sub(rewrite, text)


def for_slack(reply: Reply) -> Reply:
    """The reply with the commands in its text and question written for Slack (its facts, the
    report's fields among them, stay as they are)."""
    prompt = reply.prompt
    if prompt is not None:
        hint = slack_commands(prompt.hint) if prompt.hint else prompt.hint
        prompt = replace(prompt, text=slack_commands(prompt.text), hint=hint)
    return replace(reply, text=slack_commands(reply.text), prompt=prompt)


def plain_text(reply: Reply) -> str:
    """What a reply says as plain text: its title, text and facts, one per line."""
    lines = [reply.title] if reply.title and reply.title != reply.text else []
    lines += [reply.text] + [f"{label}: {value}" for label, value in reply.facts]
    return "\n".join(line for line in lines if line)


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters long, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text.strip(), limit) or "-", "emoji": True}


def _escaped_chunks(text: str, limit: int) -> Iterator[str]:
    """Escaped pieces of ``text`` of at most ``limit`` characters, split at lines if possible."""
    piece = ""
    for line in text.splitlines(keepends=True):
        escaped = escape(line)
        if len(piece) + len(escaped) <= limit:
            piece += escaped
            continue
        if piece:
            yield piece
            piece = ""
        for char in line:
            escaped = escape(char)
            if len(piece) + len(escaped) > limit:
                yield piece
                piece = ""
            piece += escaped
    if piece.strip():
        yield piece


def sections(text: str, *, bold_first: str | None = None) -> list[Block]:
    """``text`` as mrkdwn sections (escaped), optionally under a bold label."""
    if bold_first is not None:
        label = f"*{cut(escape(bold_first), 200)}*\n"
        chunks = list(_escaped_chunks(text, SECTION_TEXT - len(label))) or [" "]
        chunks[0] = label + chunks[0]
    else:
        chunks = list(_escaped_chunks(text, SECTION_TEXT))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]


def fact_blocks(facts: Sequence[tuple[str, str]]) -> list[Block]:
    """Facts as two-column fields; a long one (a description) gets sections of its own."""
    blocks: list[Block] = []
    fields: list[dict[str, Any]] = []

    def flush() -> None:
        if fields:
            blocks.append({"type": "section", "fields": list(fields)})
            fields.clear()

    for label, value in facts:
        text = f"*{escape(label)}*\n{escape(value)}"
        if len(text) <= FIELD_TEXT and len(value) <= 300:
            fields.append({"type": "mrkdwn", "text": text})
            if len(fields) == FIELDS_PER_SECTION:
                flush()
            continue
        flush()
        blocks += sections(value, bold_first=label)
    flush()
    return blocks


def action_id(action: Action, index: int) -> str:
    """A button's ``action_id``: unique in its block, and naming the neutral action."""
    return f"{ACTION_PREFIX}{action.value}|{index}"


def parse_action_id(value: str) -> Action | None:
    if not value.startswith(ACTION_PREFIX):
        return None
    code = value[len(ACTION_PREFIX) :].split("|", 1)[0]
    try:
        return Action(code)
    except ValueError:
        return None


def button(label: str, action_id_: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(label, BUTTON_TEXT),
        "action_id": action_id_,
    }
    if value:  # Slack rejects an empty value
        element["value"] = value[:BUTTON_VALUE]
    if style is not None:
        element["style"] = style
    return element


def button_blocks(buttons: Sequence[Button], block_id: str | None = None) -> list[Block]:
    elements = [
        button(b.label, action_id(b.action, i), b.value, b.style) for i, b in enumerate(buttons)
    ]
    blocks: list[Block] = []
    for start in range(0, len(elements), ACTIONS_PER_BLOCK):
        block: Block = {"type": "actions", "elements": elements[start : start + ACTIONS_PER_BLOCK]}
        if block_id is not None:
            block["block_id"] = f"{block_id}-{start}"
        blocks.append(block)
    return blocks


# -- messages -------------------------------------------------------------------------------------


def prompt_value(prompt: Prompt, lang: str) -> str:
    """A free-text question packed into a button's value, to open it as a modal on a press."""
    data = {
        "s": prompt.step,
        "t": cut(prompt.text, 1200),
        "h": cut(prompt.hint, 400) if prompt.hint else None,
        "m": prompt.multiline,
        "l": lang,
    }
    return json.dumps(data, ensure_ascii=False)[:BUTTON_VALUE]


def prompt_from_value(value: str) -> tuple[Prompt, str] | None:
    """The question :func:`prompt_value` packed; None for a value it did not write."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        return None
    hint = data.get("h")
    prompt = Prompt(
        data["s"],
        str(data.get("t") or ""),
        (),
        hint if isinstance(hint, str) else None,
        bool(data.get("m")),
    )
    return prompt, str(data.get("l") or "en")


def message(reply: Reply) -> tuple[str, list[Block]]:
    """A reply as a message: the notification text (escaped) and its blocks."""
    reply = for_slack(reply)
    blocks: list[Block] = []
    if reply.title:
        blocks.append({"type": "header", "text": plain(reply.title, HEADER_TEXT)})
    if reply.text and reply.text != reply.title:
        blocks += sections(reply.text)
    blocks += fact_blocks(reply.facts)
    buttons = list(reply.buttons)
    elements_extra: list[dict[str, Any]] = []
    prompt = reply.prompt
    if prompt is not None and not prompt.choices and prompt.step != CONFIRM_STEP:
        t = translator(reply.lang)
        elements_extra.append(
            button(t._("Answer"), FORM_ACTION, prompt_value(prompt, reply.lang), "primary")
        )
    actions = button_blocks(buttons)
    if elements_extra:
        if actions and len(actions[-1]["elements"]) < ACTIONS_PER_BLOCK:
            actions[-1]["elements"].append(elements_extra[0])
        else:
            actions.append({"type": "actions", "elements": elements_extra})
    blocks += actions
    if len(blocks) > MESSAGE_BLOCKS:
        blocks = blocks[: MESSAGE_BLOCKS - len(actions)] + actions
    text = escape(cut(reply.text or reply.title or " ", MESSAGE_TEXT))
    return text, blocks
