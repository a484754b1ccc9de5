"""Neutral replies drawn as a Block Kit modal, and what a modal remembers between payloads.

A question the handlers ask becomes a modal: choices as radio buttons that move the modal on as
soon as one is picked, free text as an input with a submit button, the confirmation with the
report's facts and a "File incident" submit button. Without a question the modal only shows the
texts. :class:`ViewMeta` is a modal's ``private_metadata``; :func:`working` is the "one moment"
modal shown while the handlers take longer than Slack waits. The blocks themselves, the limits
and the escaping come from :mod:`bot.slack.render`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.render import (
    ANSWER_BLOCK,
    ANSWER_ELEMENT,
    CHOICE_ACTION,
    CONFIRM_STEP,
    HEADER_TEXT,
    INPUT_LABEL,
    INPUT_MAX_LENGTH,
    OPTION_TEXT,
    VIEW_BLOCKS,
    VIEW_CALLBACK,
    VIEW_TITLE,
    Block,
    button_blocks,
    fact_blocks,
    for_slack,
    plain,
    sections,
)
from handlers.types import Action, Prompt, Reply
from sla.i18n import translator


@dataclass(frozen=True)
class ViewMeta:
    """What a modal remembers between Slack's payloads (its ``private_metadata``)."""

    channel: str  # where the conversation belongs (the customer's channel, the support channel)
    step: str = ""  # the question on screen: "field:description", "confirm", "resolve" ...
    title: str = ""
    lang: str = "en"

    def dump(self) -> str:
        return json.dumps({"c": self.channel, "s": self.step, "t": self.title, "l": self.lang})

    @classmethod
    def load(cls, raw: str | None) -> ViewMeta:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(
            str(data.get("c", "")),
            str(data.get("s", "")),
            str(data.get("t", "")),
            str(data.get("l", "en")),
        )


def _field_intro(reply: Reply, prompt: Prompt) -> str:
    """What a free-text question says besides its label and hint (an error hint, a preface)."""
    composed = f"{prompt.text}: {prompt.hint}" if prompt.hint else f"{prompt.text}:"
    text = reply.text.strip()
    if text in (prompt.text, composed):
        return ""
    if text.endswith(composed):
        return text[: -len(composed)].strip()
    return text


def _prompt_blocks(reply: Reply, prompt: Prompt) -> tuple[list[Block], bool]:
    """The question's blocks; True when it needs the modal's submit button."""
    if prompt.step == CONFIRM_STEP:
        return sections(reply.text) + fact_blocks(reply.facts), True
    if prompt.choices:
        options = [
            {"text": plain(c.label, OPTION_TEXT), "value": c.id[:150]} for c in prompt.choices
        ]
        element: dict[str, Any]
        if len(options) <= 10:
            element = {"type": "radio_buttons", "action_id": CHOICE_ACTION, "options": options}
        else:
            element = {
                "type": "static_select",
                "action_id": CHOICE_ACTION,
                "options": options[:100],
                "placeholder": plain(prompt.text, 150),
            }
        blocks = sections(reply.text) + fact_blocks(reply.facts)
        blocks.append(
            {"type": "actions", "block_id": f"q-{prompt.step}"[:255], "elements": [element]}
        )
        return blocks, False
    blocks = sections(intro) if (intro := _field_intro(reply, prompt)) else []
    blocks += fact_blocks(reply.facts)
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ANSWER_ELEMENT,
        # A report's field is multiline when the policy says so; notes to people always are.
        "multiline": prompt.multiline or not prompt.step.startswith("field:"),
        "max_length": INPUT_MAX_LENGTH,
    }
    block: Block = {
        "type": "input",
        "block_id": ANSWER_BLOCK,
        "label": plain(prompt.text, INPUT_LABEL),
        "element": text_input,
    }
    if prompt.hint:
        block["hint"] = plain(prompt.hint, 2000)
    blocks.append(block)
    return blocks, True


def asks(replies: Sequence[Reply]) -> bool:
    """Whether these replies ask something back (a question, or buttons to choose from)."""
    return any(r.prompt is not None or r.buttons for r in replies)


def modal(replies: Sequence[Reply], *, channel: str, title: str) -> dict[str, Any]:
    """A modal showing ``replies``: the last question is the one to answer.

    Without a question (the report was filed, a refusal, an error) the modal only shows the
    texts, with a "Close" button.
    """
    replies = [for_slack(r) for r in replies]
    lang = replies[-1].lang if replies else "en"
    t = translator(lang)
    asking = next((r for r in reversed(replies) if r.prompt is not None), None)
    blocks: list[Block] = []
    submit: str | None = None
    close = t._("Close")
    step = ""
    for reply in replies:
        if reply is asking and reply.prompt is not None:
            prompt_blocks, needs_submit = _prompt_blocks(reply, reply.prompt)
            blocks += prompt_blocks
            step = reply.prompt.step
            if reply.prompt.step == CONFIRM_STEP:
                submit = reply.prompt.choices[0].label if reply.prompt.choices else t._("Next")
                close = t._("Cancel")
            elif needs_submit:
                submit = t._("Next")
                close = t._("Cancel")
            else:
                close = t._("Cancel")
            continue
        if reply.title:
            blocks.append({"type": "header", "text": plain(reply.title, HEADER_TEXT)})
        if reply.text and reply.text != reply.title:
            blocks += sections(reply.text)
        blocks += fact_blocks(reply.facts)
        # Buttons that answer or cancel a questionnaire are the modal's own controls.
        own = (Action.ANSWER, Action.CONFIRM, Action.CANCEL)
        buttons = [b for b in reply.buttons if b.action not in own]
        if buttons:
            blocks += button_blocks(buttons, block_id="choices")
            step = step or "choose"
    if not blocks:
        blocks = sections(" ")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": VIEW_CALLBACK,
        "title": plain(title, VIEW_TITLE),
        "close": plain(close, VIEW_TITLE),
        "blocks": blocks[:VIEW_BLOCKS],
        "private_metadata": ViewMeta(channel, step, title, lang).dump(),
        # Closing a modal that still asks something drops the half-answered draft.
        "notify_on_close": asking is not None,
    }
    if submit is not None:
        view["submit"] = plain(submit, VIEW_TITLE)
    return view


def working(title: str, lang: str, channel: str) -> dict[str, Any]:
    """A modal that says the answer is being handled (when that takes longer than Slack waits)."""
    t = translator(lang)
    return {
        "type": "modal",
        "callback_id": VIEW_CALLBACK,
        "title": plain(title, VIEW_TITLE),
        "close": plain(t._("Close"), VIEW_TITLE),
        "blocks": sections(t._("One moment, please…")),
        "private_metadata": ViewMeta(channel, "", title, lang).dump(),
    }
