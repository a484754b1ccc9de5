"""Escalation: raising an incident up the policy's ladder and pinging the people at that level.

A contact's ``/escalate`` (Plek 6.2) moves the ladder; so do missed deadlines (the timers).
Levels with nobody configured are skipped, not waited out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from handlers.cards import cards, due_text, kind_label
from handlers.people import (
    contacts_to_write,
    customer_language,
    example_ref,
    identify,
    reader_language,
    staff_chats,
)
from handlers.refusals import error_text
from handlers.types import Command, Reply
from sla import service
from sla.directory import (
    contact_by_id,
    contacts_with_role,
    customer_by_id,
    escalation_members,
    staff_by_id,
)
from sla.i18n import Translator, translator
from sla.models import Customer, Incident
from sla.policy import Policy
from sla.service import Actor, ServiceError, find_incident, policy_of

Why = Callable[[Translator], str]  # the reason for an escalation, worded for each reader


def pings(
    session: Session,
    incident: Incident,
    customer: Customer,
    policy: Policy,
    now: datetime,
    *,
    why: Why,
) -> list[Reply]:
    """Direct messages to everyone at the incident's current escalation level, each with the
    reason in the reader's own language."""
    level = incident.escalation_level
    replies: list[Reply] = []
    role = policy.doc.escalation.levels[level - 1]
    for member in escalation_members(session, customer.id, level):
        t = translator(reader_language(member, customer))
        tz = policy.doc.calendar.timezone
        paused = incident.status == "waiting"
        lines = [
            t._(
                "Escalation {ref} ({customer}) to you as {role}: {why}",
                ref=incident.ref,
                customer=customer.name,
                role=role.label.get(t.lang),
                why=why(t),
            ),
            t._("Kind: {kind}", kind=kind_label(t, policy, incident)),
        ]
        if incident.acknowledged_at is None and incident.response_due is not None:
            lines.append(
                t._(
                    "Response due: {when}", when=due_text(t, incident.response_due, now, tz, paused)
                )
            )
        if incident.resolution_due is not None:
            lines.append(
                t._(
                    "Resolution due: {when}",
                    when=due_text(t, incident.resolution_due, now, tz, paused),
                )
            )
        for chat in staff_chats(member):
            replies.append(
                Reply(
                    "\n".join(lines),
                    chat=chat,
                    lang=t.lang,
                    tags=("escalation",),
                    incident=incident.id,
                )
            )
    return replies


def raise_level(
    session: Session,
    incident: Incident,
    customer: Customer,
    actor: Actor,
    now: datetime,
    *,
    why: Why,
    logged: str | None = None,
) -> list[Reply]:
    """Escalate to the next level that has people; pings them. Raises ServiceError at the top.

    The audit trail keeps ``logged``, else the reason in the customer's language."""
    policy = policy_of(customer)
    reason = logged or why(translator(customer_language(customer)))
    top = len(policy.doc.escalation.levels)
    service.escalate(
        session=session, incident=incident, policy=policy, actor=actor, now=now, reason=reason
    )
    while not escalation_members(session, customer.id, incident.escalation_level):
        if incident.escalation_level >= top:
            break
        service.escalate(
            session=session, incident=incident, policy=policy, actor=actor, now=now, reason=reason
        )
    session.add(incident)
    session.flush()
    replies = pings(session, incident, customer, policy, now, why=why)
    return replies + _tell_customer(session, incident, customer, policy, actor, why)


def _tell_customer(
    session: Session,
    incident: Incident,
    customer: Customer,
    policy: Policy,
    actor: Actor,
    why: Why,
) -> list[Reply]:
    """The customer's contacts whose role receives escalations (Pluvo's escalation contact,
    9.1; Plek's Beheerders and contract owner, 6.2) hear that it happened and why; not the
    contact who asked for it, who is answered already."""
    roles = [rid for rid, role in policy.doc.roles.items() if "escalation" in role.receives]
    contacts = {c.id: c for rid in roles for c in contacts_with_role(session, customer.id, rid)}
    if actor.kind == "contact":
        contacts.pop(actor.id, None)
    level = policy.doc.escalation.levels[incident.escalation_level - 1]
    platform = incident.origin_platform or "console"
    return [
        Reply(
            t._(
                "{ref} is escalated to {role}: {why}",
                ref=incident.ref,
                role=level.label.get(t.lang),
                why=why(t),
            ),
            chat=chat,
            lang=t.lang,
            tags=("escalation-notice",),
            incident=incident.id,
        )
        for chat, t in contacts_to_write(contacts.values(), customer, platform)
    ]


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    """``/escalate REF [reason]`` by a contact of the incident's own customer, or by staff."""
    person = identify(session, event.user, event.chat)
    t = person.t
    ref, _, reason = event.args.strip().partition(" ")
    incident = find_incident(session, ref) if ref else None
    visible = incident is not None and (
        person.staff is not None
        or (
            person.customer is not None
            and incident.customer_id == person.customer.id
            and person.contact is not None
        )
    )
    if not ref:
        return [
            Reply(
                t._(
                    "Which incident? For example: /{name} {example}",
                    name="escalate",
                    example=example_ref(person),
                ),
                lang=t.lang,
            )
        ]
    if incident is None or not visible:
        return [Reply(t._("There is no incident {ref}.", ref=ref.upper()), lang=t.lang)]
    customer = customer_by_id(session, incident.customer_id)
    reporter = contact_by_id(session, incident.reporter_id)
    assert customer is not None and reporter is not None
    policy = policy_of(customer)
    contact = person.contact if person.staff is None else None
    if contact is not None and not service.may_escalate(policy, contact, incident):
        return [Reply(_not_yours(t, policy, incident.ref), lang=t.lang)]
    who = person.contact if person.contact is not None else person.staff
    assert who is not None
    actor = Actor.of(who)
    typed = reason.strip()

    def why(reader: Translator) -> str:
        if typed:
            return reader._("{reason} (asked by {name})", reason=typed, name=who.name)
        return reader._("asked by {name}", name=who.name)

    try:
        replies = raise_level(
            session, incident, customer, actor, now, why=why, logged=typed or None
        )
    except ServiceError as error:
        return [Reply(error_text(t, error), lang=t.lang)]
    level = policy.doc.escalation.levels[incident.escalation_level - 1]
    assignee = staff_by_id(session, incident.assignee_id)
    done = t._("{ref} is escalated to {role}.", ref=incident.ref, role=level.label.get(t.lang))
    return [
        Reply(done, lang=t.lang),
        *replies,
        *cards(
            session,
            incident,
            customer=customer,
            reporter=reporter,
            assignee=assignee,
            now=now,
            headline=lambda reader: reader._(
                "{ref} is escalated to {role}.",
                ref=incident.ref,
                role=level.label.get(reader.lang),
            ),
        ),
    ]


def _not_yours(t: Translator, policy: Policy, ref: str) -> str:
    rules = policy.doc.escalation
    if not rules.contacts_may_escalate:
        return t._("Your contract does not let contacts escalate.")
    roles = [policy.doc.roles[role].label.get(t.lang) for role in rules.started_by]
    if not roles:
        return t._("Only the person who reported {ref} can ask to escalate it.", ref=ref)
    return t._(
        "Only the person who reported {ref}, or a contact with the role {roles}, can ask to "
        "escalate it.",
        ref=ref,
        roles=t.either(roles),
    )
