"""What a fired timer says: reminders to support, breaches, and escalation steps.

A reminder goes to the support channels and the assignee: the incident, which deadline, how much
time is left in the reader's language, and what the contract asks now (Plek: consult the
Beheerder before the resolution time expires). A breach says so, escalates to level 1 and, where
the contract asks for it (Klik 7.6), asks support for the reason and a new estimated end time
that the bot passes on to the customer. Each further escalation step raises the level if the
incident has not reached it yet.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.cards import kind_label
from handlers.escalation import pings, raise_level
from handlers.people import reader_language, staff_chats, support_language
from handlers.types import Action, Button, ChatRef, Reply
from sla.directory import customer_by_id, staff_by_id, support_chats
from sla.i18n import Translator, translator
from sla.models import Customer, Incident, Timer
from sla.policy import Policy
from sla.service import SYSTEM, ServiceError, policy_of, record


def _target_name(t: Translator, target: str) -> str:
    return t._("response") if target == "response" else t._("resolution")


def _readers(
    session: Session, incident: Incident, customer: Customer
) -> list[tuple[ChatRef, Translator]]:
    """The support chats, in their language (the card's), and the assignee's own chats, in
    theirs."""
    readers = [
        (ChatRef(b.platform, b.chat_id, private=False), translator(support_language(b, customer)))
        for b in support_chats(session, customer.id)
    ]
    if incident.assignee_id is not None:
        assignee = staff_by_id(session, incident.assignee_id)
        if assignee is not None:
            own = translator(reader_language(assignee, customer))
            readers += [(chat, own) for chat in staff_chats(assignee)]
    return readers


def fire(session: Session, timer: Timer, now: datetime, *, late: bool) -> list[Reply]:
    """The messages for one claimed timer; records the firing in the incident's log."""
    incident = session.get(Incident, timer.incident_id)
    assert incident is not None
    customer = customer_by_id(session, incident.customer_id)
    assert customer is not None
    policy = policy_of(customer)
    if timer.kind == "reminder":
        due = _due(incident, timer.target)
        # A reminder that comes (late) after its deadline says nothing the breach does not.
        superseded = due is None or due <= now
        record(
            session,
            incident,
            "reminder",
            actor=SYSTEM,
            now=now,
            target=timer.target,
            point=timer.point,
            late=late,
            superseded=superseded,
        )
        return [] if superseded else _reminder(session, incident, customer, policy, timer, now)
    if timer.kind == "breach":
        record(session, incident, "breach", actor=SYSTEM, now=now, target=timer.target, late=late)
        replies = _breach(session, incident, customer, policy, timer)
        return replies + _escalate_to(session, incident, customer, timer, now)
    return _escalate_to(session, incident, customer, timer, now)


def _due(incident: Incident, target: str) -> datetime | None:
    return incident.response_due if target == "response" else incident.resolution_due


def _reminder(
    session: Session,
    incident: Incident,
    customer: Customer,
    policy: Policy,
    timer: Timer,
    now: datetime,
) -> list[Reply]:
    due = _due(incident, timer.target)
    if due is None:
        return []
    tz = policy.doc.calendar.timezone
    note = policy.doc.reminders.before_resolution

    def text(t: Translator) -> str:
        lines = [
            t._(
                "Reminder {ref} ({customer}, {kind}): the {target} is due {when}, {left}.",
                ref=incident.ref,
                customer=customer.name,
                kind=kind_label(t, policy, incident),
                target=_target_name(t, timer.target),
                when=t.datetime(due, tz),
                left=t.relative(due - now),
            ),
        ]
        if timer.target == "resolution" and note is not None:
            lines.append(note.get(t.lang))
        return "\n".join(lines)

    return [
        Reply(text(t), chat=chat, lang=t.lang, tags=("reminder",))
        for chat, t in _readers(session, incident, customer)
    ]


def _breach(
    session: Session, incident: Incident, customer: Customer, policy: Policy, timer: Timer
) -> list[Reply]:
    due = _due(incident, timer.target)
    tz = policy.doc.calendar.timezone
    note = policy.doc.reminders.on_breach

    def reply(chat: ChatRef, t: Translator) -> Reply:
        lines = [
            t._(
                "Missed: the {target} deadline of {ref} ({customer}) was {when}.",
                target=_target_name(t, timer.target),
                ref=incident.ref,
                customer=customer.name,
                when=t.datetime(due, tz) if due is not None else "—",
            ),
        ]
        if note is not None:
            lines.append(note.get(t.lang))
        buttons: tuple[Button, ...] = ()
        if policy.doc.reminders.ask_breach_reason:
            tell = t._("Tell the customer why")
            buttons = (Button(tell, Action.EXPLAIN_BREACH, incident.ref, "primary"),)
        return Reply("\n".join(lines), chat=chat, lang=t.lang, buttons=buttons, tags=("breach",))

    return [reply(chat, t) for chat, t in _readers(session, incident, customer)]


def _escalate_to(
    session: Session, incident: Incident, customer: Customer, timer: Timer, now: datetime
) -> list[Reply]:
    def why(t: Translator) -> str:
        return t._("the {target} deadline was missed", target=_target_name(t, timer.target))

    if incident.escalation_level >= timer.level:
        # Escalated already (the other deadline's ladder, or /escalate): a missed deadline is
        # news all the same, so the people at the current level hear of it; the ladder stays.
        if timer.kind == "breach" and incident.escalation_level > 0:
            return pings(session, incident, customer, policy_of(customer), now, why=why)
        return []
    try:
        return raise_level(session, incident, customer, SYSTEM, now, why=why)
    except ServiceError:
        return []  # already at the top of the ladder
