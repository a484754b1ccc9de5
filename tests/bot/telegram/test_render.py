"""Drawing replies for Telegram: escaped HTML, Telegram's limits, and callback data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from telegram import ForceReply, InlineKeyboardMarkup

from bot.outbox_payload import to_payload
from bot.telegram._render import (
    MAX_ALERT,
    MAX_CALLBACK_DATA,
    MAX_TEXT,
    alert_text,
    body,
    callback_data,
    digest,
    find_value,
    markup,
    parse_callback_data,
    utf16_len,
)
from handlers.types import Action, Button, Choice, Prompt, Reply
from tests.bot.telegram.fake_bot_api import parse_html


def test_user_text_is_escaped_and_only_our_tags_remain() -> None:
    """Text that looks like markup is shown literally; titles and fact labels are bold."""
    reply = Reply(
        "<b>forged</b> & <a href='x'>link</a>",
        title="PLEK-1 · <i>Acme</i>",
        facts=(("Omschrijving", "</b>broken"),),
    )
    html, plain = body(reply)
    shown, entities = parse_html(html)  # what Telegram would show, or its 400
    assert shown == plain
    assert "<b>forged</b> & <a href='x'>link</a>" in shown
    assert "PLEK-1 · <i>Acme</i>" in shown and "Omschrijving: </b>broken" in shown
    assert [e["type"] for e in entities] == ["bold", "bold"]


@given(st.text(min_size=1, max_size=300), st.text(max_size=50), st.text(max_size=300))
def test_any_text_renders_as_valid_html(text: str, label: str, value: str) -> None:
    """Whatever people typed, Telegram can parse the message and shows exactly the text."""
    html, plain = body(Reply(text, title=label or None, facts=((label, value),)))
    assert parse_html(html)[0] == plain


def test_long_texts_are_cut_within_telegrams_limit() -> None:
    """A message over 4096 characters (UTF-16, as Telegram counts) ends in an ellipsis."""
    reply = Reply("x", facts=(("Omschrijving", "😀" * 3000),))
    html, plain = body(reply)
    assert utf16_len(plain) <= MAX_TEXT and plain.endswith("…")
    assert parse_html(html)[0] == plain


def test_callback_data_fits_or_is_digested() -> None:
    """Short values travel as they are; a long one becomes a digest within 64 bytes."""
    assert callback_data(Action.ACK, "PLEK-1") == "ack:PLEK-1"
    long_value = "PLEK-1 " + "é" * 40
    data = callback_data(Action.SET_PRIORITY, long_value)
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    pressed = parse_callback_data(data)
    assert pressed is not None and pressed.hashed and pressed.value == digest(long_value)
    payload = to_payload(Reply("?", buttons=(Button("P2", Action.SET_PRIORITY, long_value),)))
    assert find_value([payload], Action.SET_PRIORITY, pressed.value) == long_value


@given(st.sampled_from(list(Action)), st.text(max_size=100))
def test_callback_data_round_trips(action: Action, value: str) -> None:
    """Every button's data is at most 64 bytes and names the same action (and value if short)."""
    data = callback_data(action, value)
    pressed = parse_callback_data(data)
    assert len(data.encode()) <= MAX_CALLBACK_DATA and pressed is not None
    assert pressed.action == action
    assert pressed.value == (digest(value) if pressed.hashed else value)


def test_unknown_callback_data_is_refused() -> None:
    """Data of another bot version or garbage is not taken for a press."""
    assert parse_callback_data("zz:1") is None
    assert parse_callback_data("no-separator") is None
    assert parse_callback_data(None) is None


def test_choices_without_buttons_become_answer_buttons() -> None:
    """A question with choices only gets one answer button per choice."""
    prompt = Prompt("impact", "Hoe erg?", (Choice("all", "Alles"), Choice("some", "Een deel")))
    board = markup(Reply("Hoe erg?", prompt=prompt), private=True)
    assert isinstance(board, InlineKeyboardMarkup)
    keys = [k for row in board.inline_keyboard for k in row]
    assert [(k.text, k.callback_data) for k in keys] == [("Alles", "a:all"), ("Een deel", "a:some")]


def test_free_text_questions_ask_for_a_reply_in_groups_only() -> None:
    """In a group a free-text question forces a reply (seen with privacy mode on)."""
    reply = Reply("Wat is er gedaan?", prompt=Prompt("resolve", "Wat is er gedaan?"))
    assert isinstance(markup(reply, private=False), ForceReply)
    assert markup(reply, private=True) is None
    assert markup(Reply("Gewoon een bericht"), private=False) is None


def test_alerts_are_short_texts_only() -> None:
    """An alert fits answerCallbackQuery's 200 characters; anything else is a message."""
    assert alert_text(Reply("Alleen supportmedewerkers.", alert=True)) is not None
    assert alert_text(Reply("x" * (MAX_ALERT + 1), alert=True)) is None
    assert alert_text(Reply("Kies", buttons=(Button("P2", Action.SET_PRIORITY, "A P2"),))) is None
