"""``/maintenance``: staff record, list and cancel maintenance windows in chat, with warnings."""

from __future__ import annotations

from tests.chat import ChatDriver


def test_recording_warns_about_short_notice(chat: ChatDriver) -> None:
    """Plek 2.4.1: Mon 30 Nov 22:00 announced Tue 24 Nov 10:00 is 4.8 workdays: a warning."""
    (reply,) = chat.say(
        "support",
        "/maintenance acme add 2026-11-30T22:00 2026-11-30T23:00 Database",
        chat="support",
    )
    assert reply.text.startswith("Recorded for Acme Media BV: #1 Mon 30 Nov 22:00")
    assert "Warning: Announced 4.8 workdays ahead; the contract asks 5 (2.4.1)" in reply.text
    assert reply.alert


def test_pluvo_inside_business_hours_needs_notice_and_at_most_30_minutes(chat: ChatDriver) -> None:
    """Pluvo 5.1: an hour on Thursday morning breaks both rules; Saturday night breaks none."""
    (inside,) = chat.say(
        "support", "/maintenance stadtwerke add 2026-11-26T10:00 2026-11-26T11:00", chat="support"
    )
    assert "the contract asks 28 (5.1)" in inside.text
    assert "at most 30 minutes per interruption" in inside.text
    (night,) = chat.say(
        "support", "/maintenance stadtwerke add 2026-11-28T22:00 2026-11-28T22:20", chat="support"
    )
    assert "Warning" not in night.text and not night.alert


def test_list_and_cancel(chat: ChatDriver) -> None:
    """The list shows windows ahead with their warnings; a cancelled one leaves it."""
    chat.say("support", "/maintenance acme add 2026-12-08T22:00 2026-12-08T23:00", chat="support")
    (listed,) = chat.say("support", "/maintenance acme", chat="support")
    assert listed.text.splitlines()[1].startswith("#1 Tue 8 Dec 22:00 to Tue 8 Dec 23:00")
    chat.say("support", "/maintenance acme cancel 1", chat="support")
    (empty,) = chat.say("support", "/maintenance acme list", chat="support")
    assert empty.text == "No maintenance windows ahead for Acme Media BV."
    (again,) = chat.say("support", "/maintenance acme cancel #1", chat="support")
    assert again.text == "Maintenance window #1 is cancelled already."


def test_mistakes_and_strangers(chat: ChatDriver) -> None:
    """Bad times show the usage; an unknown customer is named; contacts are refused."""
    (usage,) = chat.say("support", "/maintenance acme add tomorrow later", chat="support")
    assert usage.text.startswith("Use:")
    (unknown,) = chat.say("support", "/maintenance nobody", chat="support")
    assert unknown.text == "There is no customer nobody."
    (backwards,) = chat.say(
        "support", "/maintenance acme add 2026-12-08T23:00 2026-12-08T22:00", chat="support"
    )
    assert backwards.text == "The window ends before it starts."
    (refused,) = chat.say("anna", "/maintenance acme")
    assert refused.alert
