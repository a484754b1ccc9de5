"""The end of the questionnaire: the confirmation (the proposed priority, which the customer's
tier may lower, with the deadlines it would get and the report's fields) and filing the
incident, with the reporter's reply and the card for support.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.cards import cards, kind_label
from handlers.drafts import delete_draft
from handlers.people import Person
from handlers.types import Action, Button, Choice, Prompt, Reply
from sla.clock import clock_for
from sla.directory import contact_by_id, customer_by_id
from sla.i18n import Translator
from sla.models import Contact, Customer, Draft, Incident
from sla.policy import Policy
from sla.questionnaire import fields_for, outcome
from sla.report_words import kind_name
from sla.service import open_incident, policy_of, tier_of


def policy_and_customer(session: Session, draft: Draft) -> tuple[Contact, Customer, Policy]:
    contact = contact_by_id(session, draft.contact_id)
    assert contact is not None
    customer = customer_by_id(session, contact.customer_id)
    assert customer is not None
    return contact, customer, policy_of(customer)


def confirmation(person: Person, draft: Draft, hint: str | None = None) -> Reply:
    """The report as it would be filed, with File and Cancel; ``hint`` after an answer that
    was neither."""
    policy, customer = person.policy, person.customer
    assert policy is not None and customer is not None
    t = person.t
    result = outcome(policy, draft.answers)
    assert result is not None
    priority = allowed_priority(policy, tier_of(customer), result.priority)
    key = priority or result.request_type
    now = draft.updated_at
    deadlines = clock_for(policy).deadlines(key, reported_at=now)
    tz = policy.doc.calendar.timezone

    def when(due: datetime | None, started: datetime | None) -> str:
        if due is not None:
            return t.datetime(due, tz)
        if started is None:
            return t._("starts when the root cause is known")
        return t._("no deadline")

    facts: list[tuple[str, str]] = []
    if priority is not None:
        prio = policy.doc.priorities[priority]
        facts.append((t._("Proposed priority"), kind_name(t, policy, priority)))
        facts.append((t._("Meaning"), prio.description.get(t.lang)))
    else:
        facts.append((t._("Kind"), policy.request_types[result.request_type].label.get(t.lang)))
    facts.append((t._("Response due"), when(deadlines.response.due, deadlines.response.started_at)))
    facts.append(
        (t._("Resolution due"), when(deadlines.resolution.due, deadlines.resolution.started_at))
    )
    for fld in fields_for(policy, result.request_type):
        facts.append((fld.label.get(t.lang), draft.fields.get(fld.id, "")))
    text = t._("Please check your report. File it now?")
    return Reply(
        text,
        facts=tuple(facts),
        buttons=(
            Button(t._("File incident"), Action.CONFIRM, "", "primary"),
            Button(t._("Cancel"), Action.CANCEL, "", "danger"),
        ),
        prompt=Prompt(
            "confirm",
            text,
            (Choice("ok", t._("File incident")), Choice("cancel", t._("Cancel"))),
            hint,
        ),
        lang=t.lang,
    )


def allowed_priority(policy: Policy, tier: str | None, priority: str | None) -> str | None:
    """The proposed priority, or the next lower one the customer's tier may use."""
    if priority is None or tier is None:
        return priority
    order = list(policy.doc.priorities)
    for pid in order[order.index(priority) :]:
        tiers = policy.doc.priorities[pid].tiers
        if tiers is None or tier in tiers:
            return pid
    return priority


def file(session: Session, person: Person, draft: Draft, now: datetime) -> list[Reply]:
    contact, customer, policy = policy_and_customer(session, draft)
    result = outcome(policy, draft.answers)
    assert result is not None
    priority = allowed_priority(policy, tier_of(customer), result.priority)
    incident = open_incident(
        session=session,
        customer=customer,
        reporter=contact,
        request_type=result.request_type,
        priority=priority,
        answers=draft.answers,
        fields=draft.fields,
        language=person.lang,
        now=now,
        origin=(person.user.platform, person.chat.id),
    )
    delete_draft(session, draft)  # a form's draft (``submit_form``) was never stored
    t = person.t
    tz = policy.doc.calendar.timezone
    lines = [
        t._("Filed as {ref} ({kind}).", ref=incident.ref, kind=kind_label(t, policy, incident))
    ]
    if incident.response_due:
        lines.append(t._("Support responds by {when}.", when=t.datetime(incident.response_due, tz)))
    if incident.resolution_due:
        lines.append(
            t._("Resolution is due by {when}.", when=t.datetime(incident.resolution_due, tz))
        )
    lines.append(t._("Type /status to follow it."))
    replies = [Reply("\n".join(lines), lang=t.lang, tags=("filed",), incident=incident.id)]
    replies += cards(
        session,
        incident,
        customer=customer,
        reporter=contact,
        assignee=None,
        now=now,
        headline=lambda reader: headline(reader, policy, incident),
    )
    return replies


def headline(t: Translator, policy: Policy, incident: Incident) -> str:
    """The new card's first line: an incident says so; a complaint or a change request is a
    report of its own kind (Plek 6.1: a complaint is no incident)."""
    if incident.priority is not None:
        return t._("New incident {ref}", ref=incident.ref)
    return t._("New report {ref} ({kind})", ref=incident.ref, kind=kind_label(t, policy, incident))
