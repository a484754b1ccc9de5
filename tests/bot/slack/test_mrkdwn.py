"""Escaping what we send and reading what Slack sends."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.mrkdwn import escape, readable, strip_mention, unescape


def test_escape_neutralises_slack_controls() -> None:
    """Mentions, channel pings and links typed by a person are shown, not acted on."""
    assert escape("<!channel> <@U1> <https://x|y> & co") == (
        "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; &amp; co"
    )


NO_FORMATTING = str.maketrans("", "", "*_~`")
LITERAL = re.compile(r"<!date\^00000000\^\{_\}\|[*_~`]>")


def test_escape_keeps_formatting_characters_from_formatting() -> None:
    """A report cannot draw bold, italics, strike-through or code into the bot's messages:
    each formatting character is the fallback of an invalid date token, shown as it is."""
    escaped = escape("*Status*\nopgelost ~weg~ `code` _x_")
    assert not re.search(r"[*_~`]", LITERAL.sub("", escaped))
    assert readable(escaped) == "*Status*\nopgelost ~weg~ `code` _x_"


def test_links_and_addresses_stay_whole() -> None:
    """Underscores in a URL or an e-mail address are left alone, so Slack still links them."""
    text = "zie https://example.org/a_b?c=*d* en mail sup_port@ex-ample.nl, _niet_ dit"
    escaped = escape(text)
    assert "https://example.org/a_b?c=*d*" in escaped and "sup_port@ex-ample.nl" in escaped
    assert "_niet_" not in escaped and readable(escaped) == text


@given(st.text())
def test_readable_undoes_escape(text: str) -> None:
    """Whatever was typed comes back unchanged; the only tags in escaped text are the literal
    tokens, and & < > are entities."""
    escaped = escape(text)
    rest = LITERAL.sub("", escaped)
    assert "<" not in rest and ">" not in rest
    assert readable(escaped) == text
    assert unescape(escape(text.translate(NO_FORMATTING))) == text.translate(NO_FORMATTING)


def test_readable_writes_out_mentions_and_links() -> None:
    """A message's mentions and links read as the person saw them."""
    text = "<@U1> zie <#C2|support>, <https://a.nl|de site> en <https://b.nl> &lt;3 <!here>"
    assert readable(text) == "@U1 zie #support, de site (https://a.nl) en https://b.nl <3 @here"


def test_strip_mention_removes_only_the_leading_bot_mention() -> None:
    """``<@BOT> text`` is the text; other mentions stay."""
    assert strip_mention("<@UBOT>  kapot bij <@U2>", "UBOT") == "kapot bij <@U2>"
    assert strip_mention("<@UBOT|slabot> kapot", None) == "kapot"
