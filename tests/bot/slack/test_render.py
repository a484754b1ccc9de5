"""Block Kit drawing: every message and modal parses with slack_sdk's models within Slack's
limits, however long or strange the text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.modals import ViewMeta, modal
from bot.slack.render import (
    FORM_ACTION,
    message,
    parse_action_id,
    prompt_from_value,
    slack_commands,
)
from handlers.types import Action, Button, Choice, Prompt, Reply
from tests.bot.slack.conftest import buttons, check_blocks, check_view, texts


def test_long_report_fits_slack_limits() -> None:
    """A 4,000-character description full of & and < is split, escaped, and still valid."""
    description = ("Fout & <storing> " * 250)[:4000]
    reply = Reply(
        "N" * 5000,
        title="T" * 300,
        facts=(("Status", "open"), ("Omschrijving", description)),
        buttons=tuple(Button(f"Knop {i} " * 20, Action.ACK, "PLEK-1") for i in range(30)),
    )
    text, blocks = message(reply)
    check_blocks(blocks)
    assert len(blocks) <= 50 and len(text) <= 40000
    assert "&lt;storing&gt;" in texts(blocks) and "<storing>" not in texts(blocks)
    assert len(buttons(blocks)) == 30


def test_button_ids_name_the_action() -> None:
    """Each button's action_id carries the neutral action; values carry the ref."""
    _, blocks = message(Reply("x", buttons=(Button("Ack", Action.ACK, "PLEK-1", "primary"),)))
    [element] = buttons(blocks)
    assert parse_action_id(element["action_id"]) == Action.ACK
    assert element["value"] == "PLEK-1" and element["style"] == "primary"
    assert parse_action_id("other") is None and parse_action_id("slabot|zz|0") is None


def test_free_text_question_in_a_message_gets_an_answer_button() -> None:
    """A question sent as a message (no modal yet) can be answered in a modal from a button."""
    prompt = Prompt("resolve", "What was done?", hint="Be brief")
    _, blocks = message(Reply("What was done?", prompt=prompt, lang="de"))
    [answer] = buttons(blocks)
    assert answer["action_id"] == FORM_ACTION
    assert prompt_from_value(answer["value"]) == (prompt, "de")


def test_question_modal_uses_radio_buttons_or_a_select_for_many() -> None:
    """Up to ten answers are radio buttons; more become a select; long labels are cut."""
    few = Prompt("q", "Welke?", tuple(Choice(f"c{i}", "Antwoord " * 20) for i in range(3)))
    view = check_view(modal([Reply("Welke?", prompt=few)], channel="C1", title="Melden"))
    assert view["blocks"][-1]["elements"][0]["type"] == "radio_buttons"
    assert "submit" not in view and view["notify_on_close"] is True
    many = Prompt("q", "Welke?", tuple(Choice(f"c{i}", f"Antwoord {i}") for i in range(12)))
    view = check_view(modal([Reply("Welke?", prompt=many)], channel="C1", title="Melden"))
    assert view["blocks"][-1]["elements"][0]["type"] == "static_select"


def test_field_modal_has_an_input_and_remembers_its_step() -> None:
    """A free-text step is an input with the field's hint; the step rides in private_metadata."""
    prompt = Prompt("field:description", "Omschrijving", hint="Wat gebeurt er?")
    reply = Reply("Omschrijving: Wat gebeurt er?", prompt=prompt, lang="nl")
    view = check_view(modal([reply], channel="CACME", title="Een veel te lange titel voor Slack"))
    assert len(view["title"]["text"]) <= 24
    [block] = view["blocks"]
    assert block["type"] == "input" and block["hint"]["text"] == "Wat gebeurt er?"
    meta = ViewMeta.load(view["private_metadata"])
    assert (meta.channel, meta.step, meta.lang) == ("CACME", "field:description", "nl")


def test_final_modal_only_shows_and_closes() -> None:
    """Without a question the modal has no submit button and no close notification."""
    view = check_view(modal([Reply("Filed as PLEK-1.")], channel="C1", title="Report"))
    assert "submit" not in view and view["notify_on_close"] is False


def test_broken_metadata_reads_as_empty() -> None:
    """A private_metadata that is not ours does not crash the handler."""
    assert ViewMeta.load("not json") == ViewMeta("")
    assert ViewMeta.load(json.dumps([1])) == ViewMeta("")


def test_commands_in_texts_are_written_as_slack_users_type_them() -> None:
    """Slack keeps /status and /help for itself: the bot's commands are typed after /slabot.
    /incident is the app's own slash command; unknown commands and paths stay as they are."""
    assert slack_commands("Type /status to follow it.") == "Type /slabot status to follow it."
    assert (
        slack_commands("/help lists it, or /cancel.") == "/slabot help lists it, or /slabot cancel."
    )
    assert (
        slack_commands("Support commands: /ack, /priority — (/resolve)")
        == "Support commands: /slabot ack, /slabot priority — (/slabot resolve)"
    )
    assert slack_commands("/incident — report an incident") == "/incident — report an incident"
    for kept in ("https://status.example.com/status", "a/status", "/tmp/help", "/status-page"):
        assert slack_commands(kept) == kept
    assert slack_commands("I do not know /frobnicate.") == "I do not know /frobnicate."
    assert slack_commands(slack_commands("/status")) == "/slabot status"


def test_messages_and_modals_show_the_slack_commands_but_leave_facts_alone() -> None:
    """The text and the question are rewritten; facts (what people typed) are not."""
    reply = Reply(
        "Filed as PLEK-1. Type /status to follow it.",
        facts=(("Omschrijving", "/status geeft 500"),),
    )
    text, blocks = message(reply)
    assert text == "Filed as PLEK-1. Type /slabot status to follow it."
    assert "/slabot status to follow" in texts(blocks) and "/status geeft 500" in texts(blocks)
    prompt = Prompt("field:description", "Omschrijving", hint="Of /cancel")
    view = check_view(
        modal([reply, Reply("Omschrijving", prompt=prompt)], channel="C1", title="Melden")
    )
    assert view["blocks"][-1]["hint"]["text"] == "Of /slabot cancel"
    assert "Type /slabot status to follow it." in texts(view["blocks"])


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(min_size=1, max_size=5000),
    label=st.text(min_size=1, max_size=200),
    value=st.text(max_size=5000),
)
def test_any_text_makes_valid_blocks_and_views(text: str, label: str, value: str) -> None:
    """Whatever people type, Slack gets valid blocks and views."""
    reply = Reply(
        text,
        title=label,
        facts=((label, value),),
        buttons=(Button(label, Action.RESOLVE, value[:100]),),
        prompt=Prompt("field:x", label, hint=value[:3000] or None),
    )
    _, blocks = message(reply)
    check_blocks(blocks)
    check_view(modal([reply], channel="C1", title=label))
