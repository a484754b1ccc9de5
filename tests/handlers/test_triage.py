"""Support staff working the card; the reporter hears of every change."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.types import Action
from tests.chat import ChatDriver, origin, to


def _plek_p1(chat: ChatDriver) -> None:
    chat.report("anna", "1", "1", "Niemand kan inloggen", "ja")


def test_acknowledge_updates_card_and_tells_reporter(chat: ChatDriver) -> None:
    """Acknowledging is the first response: the card is edited, the reporter told."""
    _plek_p1(chat)
    chat.advance(minutes=20)
    replies = chat.press("support", Action.ACK, "PLEK-1")
    card = to(replies, "support")[0]
    assert card.key == "card:PLEK-1:console:support"
    assert Action.ACK not in [b.action for b in card.buttons]
    assert len(to(replies, "anna")) == 1
    incident = chat.incident("PLEK-1")
    assert incident.status == "acknowledged"
    assert incident.acknowledged_at == datetime(2026, 11, 24, 9, 20, tzinfo=UTC)
    assert [e.kind for e in chat.events("PLEK-1")] == ["reported", "acknowledged"]


def test_non_staff_press_is_refused_and_changes_nothing(chat: ChatDriver) -> None:
    """A contact pressing a staff button gets an alert; the incident is untouched."""
    _plek_p1(chat)
    replies = chat.press("anna", Action.ACK, "PLEK-1")
    assert len(replies) == 1 and replies[0].alert
    assert chat.incident("PLEK-1").status == "open"
    assert [e.kind for e in chat.events("PLEK-1")] == ["reported"]


def test_change_priority_needs_a_reason_and_recomputes_from_report_time(chat: ChatDriver) -> None:
    """P1 → P2 with a reason: deadlines from the original report time, reason in the log."""
    _plek_p1(chat)
    chat.advance(hours=1)
    choices = chat.press("support", Action.PRIORITY, "PLEK-1")
    assert {b.value for b in choices[0].buttons} == {"PLEK-1 P2", "PLEK-1 P3", "PLEK-1 P4"}
    ask = chat.press("support", Action.SET_PRIORITY, "PLEK-1 P2")
    assert ask[0].prompt is not None
    replies = chat.say("support", "Alleen de app is geraakt", chat="support")
    incident = chat.incident("PLEK-1")
    assert incident.priority == "P2" and incident.proposed_priority == "P1"
    # 3 workdays from Tue 10:00 is Fri 10:00 local.
    assert incident.resolution_due == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    event = chat.events("PLEK-1")[-1]
    assert event.kind == "priority_changed" and event.reason == "Alleen de app is geraakt"
    assert event.data == {"old": "P1", "new": "P2"}
    assert to(replies, "anna")


def test_priority_command_in_one_line(chat: ChatDriver) -> None:
    """``/priority REF P3 reason`` works without buttons."""
    _plek_p1(chat)
    chat.say("support", "/priority PLEK-1 P3 Alleen traag", chat="support")
    incident = chat.incident("PLEK-1")
    assert incident.priority == "P3" and incident.resolution_due is None


def test_wait_pauses_and_resume_moves_the_deadline(chat: ChatDriver) -> None:
    """Waiting on the customer stops the clock; resuming adds the paused office time."""
    _plek_p1(chat)
    chat.advance(hours=1)  # 11:00 local, 3 h of the 4 left
    chat.press("support", Action.WAIT, "PLEK-1")
    replies = chat.say("support", "Welke browser gebruik je?", chat="support")
    assert "Welke browser gebruik je?" in to(replies, "anna")[0].text
    waiting = chat.incident("PLEK-1")
    assert waiting.status == "waiting" and waiting.resolution_due is None
    chat.advance(hours=2)  # 13:00 local
    chat.press("support", Action.RESUME, "PLEK-1")
    resumed = chat.incident("PLEK-1")
    assert resumed.status == "open"
    assert resumed.resolution_due == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 16:00 local


def test_resolve_asks_what_was_done_and_tells_the_reporter(chat: ChatDriver) -> None:
    """Pluvo 6.14 / Perplex: on resolution the reporter hears what was done."""
    _plek_p1(chat)
    chat.press("support", Action.RESOLVE, "PLEK-1")
    replies = chat.say("support", "Certificaat vernieuwd", chat="support")
    told = to(replies, "anna")
    assert len(told) == 1 and "Certificaat vernieuwd" in told[0].text
    incident = chat.incident("PLEK-1")
    assert incident.status == "resolved" and incident.resolution_note == "Certificaat vernieuwd"
    card = to(replies, "support")[0]
    assert {b.action for b in card.buttons} == {Action.REOPEN, Action.CLOSE}


def test_reopen_and_close(chat: ChatDriver) -> None:
    """A resolved incident can be reopened with a reason, and closed."""
    _plek_p1(chat)
    chat.say("support", "/resolve PLEK-1 Herstart", chat="support")
    chat.say("support", "/reopen PLEK-1 Komt terug", chat="support")
    assert chat.incident("PLEK-1").status == "open"
    chat.say("support", "/resolve PLEK-1 Echt opgelost", chat="support")
    chat.press("support", Action.CLOSE, "PLEK-1")
    kinds = [e.kind for e in chat.events("PLEK-1")]
    assert kinds == ["reported", "resolved", "reopened", "resolved", "closed"]
    assert chat.incident("PLEK-1").status == "closed"


def test_action_in_the_wrong_state_is_explained(chat: ChatDriver) -> None:
    """Resuming an incident that is not waiting says why and changes nothing."""
    _plek_p1(chat)
    replies = chat.press("support", Action.RESUME, "PLEK-1")
    assert replies[0].alert and "PLEK-1" in replies[0].text
    assert [e.kind for e in chat.events("PLEK-1")] == ["reported"]


def test_assign_to_me_and_to_someone(chat: ChatDriver) -> None:
    """Assigning shows on the card."""
    _plek_p1(chat)
    replies = chat.press("support", Action.ASSIGN_ME, "PLEK-1")
    assert "Sam Support" in [value for _, value in to(replies, "support")[0].facts]
    chat.say("support", "/assign PLEK-1 lisa", chat="support")
    assert chat.events("PLEK-1")[-1].data == {"assignee": "lisa"}


def test_root_cause_starts_infravision_resolution_clock(chat: ChatDriver) -> None:
    """Infravision: resolution counts from the recorded root cause (3.2 footnote)."""
    chat.report("emma", "1", "1", "1", "Nobody can log in", "Open the portal", "yes")
    assert chat.incident("IV-1").resolution_due is None
    chat.advance(hours=2)  # 12:00 local
    chat.press("support", Action.ROOT_CAUSE, "IV-1")
    # Top: 4 office hours from 12:00 → 16:00 local.
    assert chat.incident("IV-1").resolution_due == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_top_incident_opens_a_problem_for_root_cause_analysis(chat: ChatDriver) -> None:
    """Infravision 2.3: every Top incident gets a root-cause analysis problem record; the
    card asks support for the analysis until it is recorded."""
    replies = chat.report("emma", "1", "1", "1", "Down", "Open it", "yes")
    assert chat.incident("IV-1").problem_id is not None
    assert "problem_linked" in [e.kind for e in chat.events("IV-1")]
    card = to(replies, "support")[0]
    assert dict(card.facts)["Problem"] == (
        "PRB-1 · root-cause analysis asked for (/problem IV-1 rca <analysis>)"
    )
    empty = chat.say("support", "/problem IV-1 rca   ", chat="support")
    assert empty[0].text == "Please give the analysis: /problem IV-1 rca <analysis>"
    replies = chat.say("support", "/problem IV-1 rca Expired certificate", chat="support")
    assert replies[0].text == "PRB-1: the root-cause analysis is recorded."
    card = to(replies, "support")[0]
    assert dict(card.facts)["Problem"] == "PRB-1 · root cause: Expired certificate"
    event = chat.events("IV-1")[-1]
    assert (event.kind, event.reason, event.data) == (
        "rca_recorded",
        "Expired certificate",
        {"problem": "PRB-1"},
    )


def test_rca_needs_a_linked_problem(chat: ChatDriver) -> None:
    """An incident without a problem has no analysis to record; nothing changes."""
    _plek_p1(chat)
    replies = chat.say("support", "/problem PLEK-1 rca Certificaat", chat="support")
    assert replies[0].text == (
        "PLEK-1 is linked to no problem. Link it first: /problem PLEK-1 PRB-3"
    )
    assert [e.kind for e in chat.events("PLEK-1")] == ["reported"]


def test_root_cause_where_the_clock_runs_from_the_report(chat: ChatDriver) -> None:
    """Plek's resolution runs from the report: the reporter hears the cause is found, not that
    a resolution time now starts; the deadline stays."""
    _plek_p1(chat)
    due = chat.incident("PLEK-1").resolution_due
    replies = chat.say("support", "/rootcause PLEK-1", chat="support")
    assert to(replies, "anna")[0].text == "PLEK-1: de oorzaak is gevonden."
    assert chat.incident("PLEK-1").resolution_due == due


def test_a_blank_answer_is_asked_again_and_the_action_still_waits(chat: ChatDriver) -> None:
    """Staff who send nothing but spaces are asked again; the next real answer counts."""
    _plek_p1(chat)
    chat.say("support", "/priority PLEK-1 P3", chat="support")
    again = chat.say("support", "   ", chat="support")
    assert again[0].prompt is not None and "P3" in again[0].text
    chat.say("support", "Alleen traag", chat="support")
    assert chat.incident("PLEK-1").priority == "P3"
    chat.say("support", "/wait PLEK-1", chat="support")
    again = chat.say("support", "  ", chat="support")
    assert again[0].prompt is not None and chat.incident("PLEK-1").status == "open"
    chat.say("support", "Welke browser?", chat="support")
    assert chat.incident("PLEK-1").status == "waiting"


def test_a_target_without_deadline_is_not_paused(chat: ChatDriver) -> None:
    """Plek has no response time (a target left empty is no deadline): while the incident
    waits, the card still says so, not "paused"."""
    _plek_p1(chat)
    replies = chat.say("support", "/wait PLEK-1 Welke browser?", chat="support")
    facts = dict(to(replies, "support")[0].facts)
    assert facts["Reactie uiterlijk"] == "geen termijn"
    assert facts["Oplossen uiterlijk"] == "gepauzeerd"


def test_staff_link_recurring_incidents_to_a_problem(chat: ChatDriver) -> None:
    """``/problem REF new title`` and ``/problem REF PRB-n`` link incidents."""
    chat.report("anna", "1", "2", "Agenda hapert", "ja")
    chat.report("anna", "1", "2", "Agenda hapert weer", "ja")
    first = chat.say("support", "/problem PLEK-1 new Agenda sync", chat="support")
    assert "PRB-1" in first[0].text
    second = chat.say("support", "/problem PLEK-2 PRB-1", chat="support")
    assert "PLEK-1, PLEK-2" in second[0].text


def test_data_breach_contacts_told_on_acknowledgement(chat: ChatDriver) -> None:
    """Perplex: the contact flagged for data-breach notices hears of a data breach."""
    replies = chat.say("petra", "/incident")
    step = replies[-1].prompt
    assert step is not None
    labels = [c.id for c in step.choices]
    chat.say("petra", str(labels.index("data_breach") + 1) if "data_breach" in labels else "3")
    # answer remaining steps generically
    for _ in range(6):
        last = chat.say("petra", "Gegevens gelekt")
        if last and last[0].prompt is not None and last[0].prompt.step == "confirm":
            break
    chat.say("petra", "ja")
    incident = chat.incident("PERPLEX-1")
    assert incident.request_type == "data_breach"
    replies = chat.press("support", Action.ACK, "PERPLEX-1")
    assert to(replies, "dirk"), "the data-breach contact is told"
    assert origin(replies) == []


def test_wait_and_resume_in_the_same_instant(chat: ChatDriver) -> None:
    """A pause of no length is harmless (found by the fuzzer)."""
    _plek_p1(chat)
    chat.say("support", "/wait PLEK-1 Even kijken", chat="support")
    chat.press("support", Action.RESUME, "PLEK-1")
    assert chat.incident("PLEK-1").resolution_due == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_new_incident_command_replaces_a_draft(chat: ChatDriver) -> None:
    """/incident twice starts over instead of failing (found by the fuzzer)."""
    chat.report("anna", "1")
    replies = chat.say("anna", "/incident")
    assert replies[-1].prompt is not None and replies[-1].prompt.step == "request_type"


def test_the_reporters_answer_goes_to_support_and_ends_the_wait(chat: ChatDriver) -> None:
    """Support asks Anna which browser; her plain reply is the answer: the card in the support
    channel shows it, the log keeps it, and the clocks run again (Tue 11:00 to 12:00 waited:
    the 14:00 deadline moves to 15:00). She is told it arrived."""
    _plek_p1(chat)
    chat.advance(hours=1)
    asked = chat.say("support", "/wait PLEK-1 Welke browser gebruik je?", chat="support")
    assert to(asked, "anna")[0].text.splitlines() == [
        "PLEK-1: support wacht op jou: Welke browser gebruik je?",
        "Antwoord door op dit bericht te reageren.",
    ]
    chat.advance(hours=1)
    replies = chat.say("anna", "Chrome, versie 120")
    assert origin(replies)[0].text == (
        "PLEK-1: je antwoord is naar support gestuurd; zij werken er weer aan."
    )
    card = to(replies, "support")[0]
    assert card.text == "PLEK-1: Anna de Vries antwoordde: Chrome, versie 120"
    incident = chat.incident("PLEK-1")
    assert incident.status == "open" and incident.paused_since is None
    assert incident.resolution_due == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 15:00 local
    kinds = [(e.kind, e.reason) for e in chat.events("PLEK-1")][-2:]
    assert kinds == [("customer_answered", "Chrome, versie 120"), ("resumed", None)]


def test_a_message_with_nothing_waiting_is_no_answer(chat: ChatDriver) -> None:
    """Without an incident waiting on her, Anna's message gets the usual pointer to /incident,
    and her open incident is untouched."""
    _plek_p1(chat)
    replies = chat.say("anna", "Hallo?")
    assert origin(replies)[0].text == "Typ /incident om een incident te melden, of /help."
    assert [e.kind for e in chat.events("PLEK-1")] == ["reported"]
