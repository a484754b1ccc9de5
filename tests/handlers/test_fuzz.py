"""Fuzzed commands, answers and button presses through the router: no crash, no lost state,
and a clear message back whenever the bot is asked something."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from handlers.router import dispatch
from handlers.types import Action, ButtonPress, ChatRef, Command, Text, UserRef
from sla.db import session_scope
from tests.chat import ChatDriver
from tests.conftest import load_demo_directory
from tests.fuzzing import fuzz_settings

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KARL, SUPPORT = UserRef("console", "karl"), UserRef("console", "support")
PEOPLE = ["anna", "bram", "karl", "sanne", "lotte", "petra", "emma", "support", "lisa", "x"]
COMMANDS = [
    "incident",
    "status",
    "escalate",
    "cancel",
    "help",
    "start",
    "ack",
    "priority",
    "wait",
    "resume",
    "resolve",
    "rootcause",
    "assign",
    "reopen",
    "close",
    "inform",
    "problem",
    "contacts",
    "nonsense",
    "INCIDENT@slabot_bot",
]
free_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
refs = st.sampled_from(["PLEK-1", "plek-1", "IV-1", "KLIK-1", "PRB-1", "", "🙂", "X" * 200])

events = st.one_of(
    st.builds(
        lambda who, name, args: Command(
            name, args, UserRef("console", who), ChatRef("console", who)
        ),
        st.sampled_from(PEOPLE),
        st.sampled_from(COMMANDS),
        st.one_of(free_text, st.builds(lambda r, t: f"{r} {t}", refs, free_text)),
    ),
    st.builds(
        lambda who, text: Text(text, UserRef("console", who), ChatRef("console", who)),
        st.sampled_from(PEOPLE),
        st.one_of(free_text, st.sampled_from(["1", "2", "3", "ja"])),
    ),
    st.builds(
        lambda who, action, value: ButtonPress(
            action, value, UserRef("console", who), ChatRef("console", "support", False)
        ),
        st.sampled_from(PEOPLE),
        st.sampled_from(list(Action)),
        st.one_of(refs, free_text),
    ),
)


@fuzz_settings("handlers")  # how many: tests/fuzzing.py (SLABOT_FUZZ_EXAMPLES)
@given(sequence=st.lists(events, min_size=1, max_size=4))
# Found by the fuzz: "²6" is digits to str.isdigit, and int() refused it (a crash).
@example(
    sequence=[
        Command("incident", "", KARL, ChatRef("console", "karl")),
        Text("²6", KARL, ChatRef("console", "karl")),
    ]
)
@example(
    sequence=[Command("maintenance", "acme cancel #²", SUPPORT, ChatRef("console", "support"))]
)
def test_random_events_never_crash_and_commands_are_answered(
    sqlite_engine: Engine, sequence: list[Command | Text | ButtonPress]
) -> None:
    """Whatever arrives, the handlers answer without an exception; a command always gets a
    reply, in one of the bot's languages."""
    if not getattr(sqlite_engine, "_demo_loaded", False):
        load_demo_directory(sqlite_engine)
        sqlite_engine._demo_loaded = True  # type: ignore[attr-defined]
    for event in sequence:
        with session_scope(sqlite_engine) as session:
            replies = dispatch(session, event, NOW)
        if isinstance(event, Command):
            assert replies, event
        assert all(r.text.strip() and r.lang in ("nl", "de", "en") for r in replies)


@pytest.mark.postgres
def test_nul_characters_typed_are_dropped_not_a_failure(pg_chat: ChatDriver) -> None:
    """Found fuzzing on PostgreSQL, which cannot store NUL: a reason, a note or a root cause
    with one failed with "Sorry, something went wrong". Now the NUL is left out."""
    chat = pg_chat
    chat.report("anna", "1", "1", "Niemand\x00 kan inloggen", "ja")
    assert chat.incident("PLEK-1").fields == {"description": "Niemand kan inloggen"}
    sorry = "Sorry, something went wrong"
    for who, text, where in [
        ("anna", "/escalate PLEK-1 Duurt\x00 te lang", None),
        ("support", "/wait PLEK-1 Even\x00 kijken", "support"),
        ("support", "/resume PLEK-1", "support"),
        ("support", "/rootcause PLEK-1 Oorzaak\x00", "support"),
        ("support", "/resolve PLEK-1 Herstart\x00", "support"),
    ]:
        replies = chat.say(who, text, chat=where)
        assert replies and all(sorry not in r.text for r in replies), text
    assert chat.incident("PLEK-1").resolution_note == "Herstart"
    reasons = {e.reason for e in chat.events("PLEK-1")}
    assert {"Duurt te lang", "Even kijken", "Oorzaak"} <= reasons
