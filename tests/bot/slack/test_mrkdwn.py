"""Escaping what we send and reading what Slack sends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.mrkdwn import escape, readable, strip_mention, unescape


def test_escape_neutralises_slack_controls() -> None:
    """Mentions, channel pings and links typed by a person are shown, not acted on."""
    assert escape("<!channel> <@U1> <https://x|y> & co") == (
        "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; &amp; co"
    )


@given(st.text())
def test_unescape_undoes_escape(text: str) -> None:
    """Whatever was typed comes back unchanged, and escaped text has no bare < or >."""
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert unescape(escaped) == text


def test_readable_writes_out_mentions_and_links() -> None:
    """A message's mentions and links read as the person saw them."""
    text = "<@U1> zie <#C2|support>, <https://a.nl|de site> en <https://b.nl> &lt;3 <!here>"
    assert readable(text) == "@U1 zie #support, de site (https://a.nl) en https://b.nl <3 @here"


def test_strip_mention_removes_only_the_leading_bot_mention() -> None:
    """``<@BOT> text`` is the text; other mentions stay."""
    assert strip_mention("<@UBOT>  kapot bij <@U2>", "UBOT") == "kapot bij <@U2>"
    assert strip_mention("<@UBOT|slabot> kapot", None) == "kapot"
