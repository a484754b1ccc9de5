"""Contacts following and escalating their own customer's incidents, and nobody else's."""

from __future__ import annotations

from tests.chat import ChatDriver, origin, to


def test_status_lists_own_customer_open_incidents(chat: ChatDriver) -> None:
    """/status shows a contact their customer's open incidents and no one else's."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    chat.report("emma", "1", "1", "1", "Down", "Steps", "yes")
    anna = chat.say("anna", "/status")[0].text
    assert "PLEK-1" in anna and "IV-1" not in anna
    staff = chat.say("support", "/status", chat="support")[0].text
    assert "PLEK-1" in staff and "IV-1" in staff


def test_escalate_pings_the_next_level(chat: ChatDriver) -> None:
    """Plek 6.2: a Beheerder's /escalate raises the level and pings level 1 (the team lead)."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    replies = chat.say("anna", "/escalate PLEK-1 Duurt te lang")
    assert chat.incident("PLEK-1").escalation_level == 1
    ping = to(replies, "lisa")
    assert len(ping) == 1 and "PLEK-1" in ping[0].text and "Duurt te lang" in ping[0].text
    assert to(replies, "support")[0].key == "card:PLEK-1:console:support"
    event = chat.events("PLEK-1")[-1]
    assert event.kind == "escalated" and event.actor_kind == "contact"


def test_escalate_twice_reaches_level_two_then_the_top(chat: ChatDriver) -> None:
    """Each /escalate moves one level up; at the top the contact is told so."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    chat.say("anna", "/escalate PLEK-1")
    assert to(chat.say("anna", "/escalate PLEK-1"), "mark")
    chat.say("anna", "/escalate PLEK-1")
    assert chat.incident("PLEK-1").escalation_level == 3
    top = chat.say("anna", "/escalate PLEK-1")
    assert len(top) == 1 and chat.incident("PLEK-1").escalation_level == 3


def test_contact_cannot_touch_another_customers_incident(chat: ChatDriver) -> None:
    """Escalating someone else's incident looks exactly like a missing one."""
    chat.report("emma", "1", "1", "1", "Down", "Steps", "yes")
    replies = chat.say("anna", "/escalate IV-1")
    assert origin(replies)[0].text == chat.say("anna", "/escalate IV-999")[0].text.replace(
        "IV-999", "IV-1"
    )
    assert chat.incident("IV-1").escalation_level == 0


def test_unknown_command_is_answered(chat: ChatDriver) -> None:
    """An unknown command names itself and points to /help."""
    assert "/frobnicate" in chat.say("anna", "/frobnicate")[0].text
    assert "/incident" in chat.say("anna", "/help")[0].text
