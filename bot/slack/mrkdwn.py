"""Slack's text formatting, both ways: escape what we send, read what people typed.

Slack parses ``&``, ``<`` and ``>`` in ``mrkdwn`` texts (``<!channel>``, ``<@U123>``,
``<https://x|label>``) and formats ``*bold*``, ``_italic_``, ``~struck~`` and ```code```, so
every text we send is escaped: a report cannot ping a channel, forge a link or mimic the card's
own formatting. Text Slack hands us (a message, a mention) arrives with those three characters
encoded and with mentions and links in angle brackets; :func:`readable` turns it into what the
person saw.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>]*)>")


_FORMATTING = re.compile(r"[*_~`]")
_LINKS = re.compile(r"((?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def _literal(match: re.Match[str]) -> str:
    # Slack has no escape for its formatting characters. A date token whose format is
    # invalid shows its fallback as it is, unformatted (the trick jsx-slack's <Escape> uses).
    return f"<!date^00000000^{{_}}|{match.group(0)}>"


def escape(text: str) -> str:
    """``text`` shown as it is in a ``mrkdwn`` text object or a message's ``text``: ``&``,
    ``<`` and ``>`` as entities, and ``*``, ``_``, ``~`` and backticks so that they format
    nothing (a report cannot draw a bold "Status" into the card)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Links and addresses stay whole, or Slack would no longer link them (it formats nothing
    # inside a link anyway).
    parts = _LINKS.split(escaped)
    return "".join(p if i % 2 else _FORMATTING.sub(_literal, p) for i, p in enumerate(parts))


def unescape(text: str) -> str:
    """Undo Slack's encoding of ``&``, ``<`` and ``>`` (``&amp;`` last)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # <@U123> or <@U123|name>
        return f"@{label or target[1:]}"
    if target.startswith("#"):  # <#C123|general>
        return f"#{label or target[1:]}"
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
        special = target[1:].split("^", 1)[0]
        return label if label else f"@{special}"
    if label and label != target:
        return f"{label} ({target})"
    return target


def readable(text: str) -> str:
    """A Slack message's text as the person saw it: mentions and links written out."""
    return unescape(_TOKEN.sub(_token, text))


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The text of an app mention without the leading ``<@BOT>``."""
    stripped = text.strip()
    if bot_user_id:
        stripped = re.sub(rf"^<@{re.escape(bot_user_id)}(\|[^>]*)?>\s*", "", stripped)
    else:
        stripped = re.sub(r"^<@[A-Z0-9]+(\|[^>]*)?>\s*", "", stripped)
    return stripped.strip()
