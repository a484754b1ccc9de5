"""The incident card support staff work from, and the facts both sides see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from handlers.people import support_language
from handlers.types import Action, Button, ChatRef, Reply
from sla.directory import support_chats
from sla.i18n import Translator, translator
from sla.models import Contact, Customer, Incident, Problem, Staff, Status
from sla.policy import Policy
from sla.report_words import kind_name
from sla.service import policy_of


def status_label(t: Translator, status: str) -> str:
    labels = {
        Status.OPEN: t._("open"),
        Status.ACKNOWLEDGED: t._("acknowledged"),
        Status.WAITING: t._("waiting on customer"),
        Status.RESOLVED: t._("resolved"),
        Status.CLOSED: t._("closed"),
    }
    return labels.get(Status(status), status)


def kind_label(t: Translator, policy: Policy, incident: Incident) -> str:
    """``P2 · Hoog`` for an incident, the request type's label otherwise."""
    return kind_name(t, policy, incident.priority or incident.request_type)


def due_text(t: Translator, due: datetime | None, now: datetime, tz: str, paused: bool) -> str:
    if due is None:
        return t._("paused") if paused else t._("no deadline")
    left = due - now
    when = t.datetime(due, tz)
    if left.total_seconds() < 0:
        return t._("{when} (overdue by {duration})", when=when, duration=t.duration(-left))
    return t._("{when} ({relative})", when=when, relative=t.relative(left))


def incident_facts(
    t: Translator, incident: Incident, policy: Policy, reporter: Contact, now: datetime
) -> list[tuple[str, str]]:
    tz = policy.doc.calendar.timezone
    paused = incident.status == Status.WAITING
    facts = [
        (t._("Status"), status_label(t, incident.status)),
        (t._("Kind"), kind_label(t, policy, incident)),
        (t._("Reported by"), reporter.name),
        (t._("Reported at"), t.datetime(incident.reported_at, tz)),
    ]
    open_now = incident.status in (Status.OPEN, Status.ACKNOWLEDGED, Status.WAITING)
    if incident.acknowledged_at is None and open_now:
        # A target the contract leaves empty stays "no deadline" while the incident waits.
        paused_here = paused and _has_target(policy, incident, "response")
        facts.append(
            (t._("Response due"), due_text(t, incident.response_due, now, tz, paused_here))
        )
    if open_now:
        facts.append((t._("Resolution due"), _resolution_due(t, incident, policy, now, paused)))
    return facts


def _has_target(policy: Policy, incident: Incident, which: str) -> bool:
    kind = policy.kind(incident.priority or incident.request_type)
    rule = kind.response if which == "response" else kind.resolution
    return rule is not None and not rule.none


def starts_at_root_cause(incident: Incident, policy: Policy) -> bool:
    """Whether the incident's resolution clock starts when the root cause is known
    (Infravision 3.2) rather than at the report."""
    rule = policy.kind(incident.priority or incident.request_type).resolution
    return rule is not None and not rule.none and rule.start == "root_cause"


def _resolution_due(
    t: Translator, incident: Incident, policy: Policy, now: datetime, paused: bool
) -> str:
    if starts_at_root_cause(incident, policy) and incident.root_cause_at is None:
        return t._("starts when the root cause is known")
    paused_here = paused and _has_target(policy, incident, "resolution")
    return due_text(t, incident.resolution_due, now, policy.doc.calendar.timezone, paused_here)


def staff_buttons(t: Translator, incident: Incident, policy: Policy) -> tuple[Button, ...]:
    ref = incident.ref
    status = incident.status
    if status in (Status.RESOLVED,):
        return (Button(t._("Reopen"), Action.REOPEN, ref), Button(t._("Close"), Action.CLOSE, ref))
    if status == Status.CLOSED:
        return ()
    buttons: list[Button] = []
    if incident.acknowledged_at is None:
        buttons.append(Button(t._("Acknowledge"), Action.ACK, ref, "primary"))
    if incident.priority is not None:
        buttons.append(Button(t._("Priority"), Action.PRIORITY, ref))
    if status == Status.WAITING:
        buttons.append(Button(t._("Resume"), Action.RESUME, ref))
    else:
        buttons.append(Button(t._("Wait on customer"), Action.WAIT, ref))
    if _waits_for_root_cause(incident, policy):
        buttons.append(Button(t._("Root cause known"), Action.ROOT_CAUSE, ref))
    if incident.assignee_id is None:
        buttons.append(Button(t._("Assign to me"), Action.ASSIGN_ME, ref))
    buttons.append(Button(t._("Resolve"), Action.RESOLVE, ref, "primary"))
    return tuple(buttons)


def _waits_for_root_cause(incident: Incident, policy: Policy) -> bool:
    return incident.root_cause_at is None and starts_at_root_cause(incident, policy)


def card_key(incident: Incident, chat: ChatRef) -> str:
    return f"card:{incident.ref}:{chat.platform}:{chat.id}"


def cards(
    session: Session,
    incident: Incident,
    *,
    customer: Customer,
    reporter: Contact,
    assignee: Staff | None,
    now: datetime,
    headline: Callable[[Translator], str] | None = None,
) -> list[Reply]:
    """The incident card for every support channel of the customer, edited in place.

    ``headline`` words what just happened for the card's reader (its language is the
    customer's, as the rest of the card); by default the card's title."""
    policy = policy_of(customer)
    replies: list[Reply] = []
    for chat_binding in support_chats(session, customer.id):
        chat = ChatRef(chat_binding.platform, chat_binding.chat_id, private=False)
        t = translator(support_language(chat_binding, customer))
        facts = incident_facts(t, incident, policy, reporter, now)
        if assignee is not None:
            facts.append((t._("Assigned to"), assignee.name))
        if incident.escalation_level:
            level = policy.doc.escalation.levels[incident.escalation_level - 1]
            facts.append((t._("Escalated to"), level.label.get(t.lang)))
        if incident.problem_id is not None:
            facts.append((t._("Problem"), _problem_text(t, session, incident)))
        for field_id, value in incident.fields.items():
            label = next(
                (f.label.get(t.lang) for f in policy.doc.questionnaire.fields if f.id == field_id),
                field_id,
            )
            facts.append((label, value))
        title = t._("{ref} · {customer}", ref=incident.ref, customer=customer.name)
        replies.append(
            Reply(
                text=headline(t) if headline is not None else title,
                title=title,
                chat=chat,
                facts=tuple(facts),
                buttons=staff_buttons(t, incident, policy),
                key=card_key(incident, chat),
                lang=t.lang,
                tags=("card",),
                incident=incident.id,
            )
        )
    return replies


def _problem_text(t: Translator, session: Session, incident: Incident) -> str:
    """The linked problem, and whether its root-cause analysis is still asked for."""
    problem = session.get(Problem, incident.problem_id)
    if problem is None:
        return "?"
    if problem.root_cause:
        return t._(
            "{problem} · root cause: {analysis}", problem=problem.ref, analysis=problem.root_cause
        )
    if problem.rca_required:
        return t._(
            "{problem} · root-cause analysis asked for (/problem {ref} rca <analysis>)",
            problem=problem.ref,
            ref=incident.ref,
        )
    return t._("{problem} · {title}", problem=problem.ref, title=problem.title)
