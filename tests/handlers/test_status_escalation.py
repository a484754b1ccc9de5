"""Contacts following and escalating their own customer's incidents, and nobody else's."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.timers import fire_all_due
from sla.db import session_scope
from sla.models import OutboxMessage, Staff
from tests.chat import ChatDriver, origin, to


def test_status_lists_own_customer_open_incidents(chat: ChatDriver) -> None:
    """/status shows a contact their customer's open incidents and no one else's."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    chat.report("emma", "1", "1", "1", "Down", "Steps", "yes")
    anna = chat.say("anna", "/status")[0].text
    assert "PLEK-1" in anna and "IV-1" not in anna
    staff = chat.say("support", "/status", chat="support")[0].text
    assert "PLEK-1" in staff and "IV-1" in staff


def test_status_for_staff_lists_the_oldest_and_counts_the_rest(chat: ChatDriver) -> None:
    """Staff see every customer's open incidents: the 25 oldest listed, the total in the
    heading and the rest counted below; a resolved one is not counted."""
    for n in range(28):
        chat.report("anna", "1", "1", f"Storing {n}", "ja")
        chat.advance(minutes=1)
    chat.say("support", "/resolve PLEK-2 Opgelost", chat="support")
    lines = chat.say("support", "/status", chat="support")[0].text.splitlines()
    assert "27" in lines[0]
    listed = [line.split(" ")[0] for line in lines[1:-1]]
    assert listed == ["PLEK-1", *(f"PLEK-{n}" for n in range(3, 27))]
    assert "2" in lines[-1] and "PLEK" not in lines[-1]


def test_escalate_pings_the_next_level(chat: ChatDriver) -> None:
    """Plek 6.2: a Beheerder's /escalate raises the level and pings level 1 (the team lead)."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    replies = chat.say("anna", "/escalate PLEK-1 Duurt te lang")
    assert chat.incident("PLEK-1").escalation_level == 1
    ping = to(replies, "lisa")
    assert len(ping) == 1 and "PLEK-1" in ping[0].text
    assert "Duurt te lang (gevraagd door Anna de Vries)" in ping[0].text  # who asked, too
    assert to(replies, "support")[0].key == "card:PLEK-1:console:support"
    event = chat.events("PLEK-1")[-1]
    assert event.kind == "escalated" and event.actor_kind == "contact"


def test_staff_on_a_chat_platform_are_pinged_there_only(chat: ChatDriver) -> None:
    """Lisa has a Telegram id: her ping goes to Telegram and nowhere else. A console copy
    would wait in the outbox for ever under ``slabot run``, which does not deliver there."""
    with session_scope(chat.engine) as session:
        lisa = session.exec(select(Staff).where(Staff.handle == "lisa")).one()
        lisa.telegram_user_id = "2002"
    chat.report("anna", "1", "1", "Plek plat", "ja")
    replies = chat.say("anna", "/escalate PLEK-1")
    pings = [r for r in replies if "escalation" in r.tags]
    assert [(r.chat.platform, r.chat.id) for r in pings if r.chat] == [("telegram", "2002")]


def test_the_customers_escalation_contact_hears_of_an_escalation(chat: ChatDriver) -> None:
    """Pluvo 9.1: Udo is Stadtwerke's escalation contact (his role receives escalations).
    Karl's /escalate tells him, in German, with Karl's reason; Karl hears only his answer."""
    chat.report("karl", "1", "1", "Nichts geht", "Neu gestartet", "P1", "ja")
    replies = chat.say("karl", "/escalate PLUVO-1 Dauert zu lange")
    [notice] = to(replies, "udo")
    assert notice.lang == "de" and "PLUVO-1" in notice.text and "Dauert zu lange" in notice.text
    assert len(to(replies, "karl")) == 0 and len(origin(replies)) == 1


def test_a_missed_deadline_escalation_tells_the_reporting_beheerder(chat: ChatDriver) -> None:
    """Plek: Beheerders receive escalations (6.2). The breach escalates PLEK-1 to level 1 and
    Anna, who reported it and did not ask for it, is told why."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    fire_all_due(chat.engine, chat.now + timedelta(hours=4))
    with Session(chat.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "anna")).all()
    notices = [r.payload["text"] for r in rows if "escalation-notice" in r.payload["tags"]]
    assert len(notices) == 1 and "PLEK-1" in notices[0] and "verstreken" in notices[0]


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


def test_a_plek_gebruiker_cannot_escalate_a_beheerders_incident(chat: ChatDriver) -> None:
    """Plek 6.2: the Beheerder (or the contract owner) starts an escalation; Bram, a user who
    may not even file, is told who can, and nothing is escalated."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    replies = chat.say("bram", "/escalate PLEK-1 Duurt te lang")
    [answer] = origin(replies)
    assert answer.text == (
        "Alleen wie PLEK-1 heeft gemeld, of een contactpersoon met de rol Beheerder of "
        "Overeenkomst-eigenaar, kan vragen om escalatie."
    )
    assert not to(replies, "lisa")
    assert chat.incident("PLEK-1").escalation_level == 0


def test_pluvo_escalation_contact_escalates_a_colleagues_incident(chat: ChatDriver) -> None:
    """Pluvo 9.1 names an escalation contact: Udo escalates Karl's incident; Greta, another
    contact person, may escalate only her own."""
    chat.report("karl", "1", "2", "Beschreibung", "Untersucht", "P2", "ja")
    [refused] = origin(chat.say("greta", "/escalate PLUVO-1"))
    assert "PLUVO-1" in refused.text and "Eskalationskontakt" in refused.text
    assert chat.incident("PLUVO-1").escalation_level == 0
    chat.say("udo", "/escalate PLUVO-1")
    assert chat.incident("PLUVO-1").escalation_level == 1
    chat.say("karl", "/escalate PLUVO-1")
    assert chat.incident("PLUVO-1").escalation_level == 2


def test_where_the_contract_names_no_role_only_the_reporter_escalates(chat: ChatDriver) -> None:
    """Klik names no one for escalation: Tim (superuser) may escalate his own incidents, not
    Sanne's (sla-seeds.md: a contact person escalates their own open incident)."""
    chat.report("sanne", "1", "Alles ligt eruit", "ja")
    [refused] = origin(chat.say("tim", "/escalate KLIK-1"))
    assert refused.text == "Alleen wie KLIK-1 heeft gemeld, kan vragen om escalatie."
    assert chat.incident("KLIK-1").escalation_level == 0
    chat.say("sanne", "/escalate KLIK-1")
    assert chat.incident("KLIK-1").escalation_level == 1


def test_examples_show_the_persons_own_refs(chat: ChatDriver) -> None:
    """A Pluvo contact is shown PLUVO-42, not another customer's prefix."""
    [answer] = chat.say("karl", "/escalate")
    assert answer.text == "Welche Störung? Zum Beispiel: /escalate PLUVO-42"
    assert "/escalate PLUVO-42" in chat.say("karl", "/help")[0].text


def test_staff_refusals_say_what_to_do(chat: ChatDriver) -> None:
    """An unknown handle names itself and the way out; a reference typed with a full stop
    is the incident itself, not "There is no incident PLEK-1.."."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    unknown = chat.say("support", "/assign PLEK-1 nobody", chat="support")
    assert unknown[0].text == (
        "Nobody in support has the handle nobody. Use /assign PLEK-1 for yourself, or a "
        "colleague's handle."
    )
    chat.say("support", "/ack PLEK-1.", chat="support")
    assert chat.incident("PLEK-1").status == "acknowledged"
