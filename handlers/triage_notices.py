"""What others hear after a staff action on an incident: the updated cards, a note to the
reporter in their language, and, on acknowledging a data breach, a notice to the customer's
contacts with the role the policy names.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.cards import cards, kind_label, starts_at_root_cause
from handlers.people import contacts_to_write, reporter_chat
from handlers.types import Action, Reply
from sla.directory import contacts_with_role, staff_by_id
from sla.i18n import translator
from sla.models import Contact, Customer, Incident
from sla.policy import Policy


def after_change(
    session: Session,
    incident: Incident,
    customer: Customer,
    reporter: Contact,
    policy: Policy,
    action: Action,
    now: datetime,
    *,
    actor_name: str,
    text: str = "",
) -> list[Reply]:
    assignee = staff_by_id(session, incident.assignee_id)
    replies = cards(
        session, incident, customer=customer, reporter=reporter, assignee=assignee, now=now
    )
    replies += _tell_reporter(incident, reporter, policy, action, actor_name, text)
    if action == Action.ACK:
        replies += _data_breach_notices(session, incident, customer, policy)
    return replies


def _tell_reporter(
    incident: Incident, reporter: Contact, policy: Policy, action: Action, actor: str, text: str
) -> list[Reply]:
    chat = reporter_chat(incident, reporter)
    if chat is None or action == Action.ASSIGN_ME:
        return []
    t = translator(incident.language)
    ref = incident.ref
    messages = {
        Action.ACK: lambda: t._(
            "{ref}: {name} of support has picked up your report.", ref=ref, name=actor
        ),
        Action.SET_PRIORITY: lambda: t._(
            "{ref}: the priority is now {kind}. Reason: {reason}",
            ref=ref,
            kind=kind_label(t, policy, incident),
            reason=text,
        ),
        Action.WAIT: lambda: "\n".join(
            (
                t._("{ref}: support is waiting for you: {question}", ref=ref, question=text),
                t._("Answer by replying to this message."),
            )
        ),
        Action.RESUME: lambda: t._("{ref}: support is working on it again.", ref=ref),
        Action.RESOLVE: lambda: t._("{ref} is resolved. What was done: {note}", ref=ref, note=text),
        Action.ROOT_CAUSE: lambda: (
            t._("{ref}: the cause has been found; the resolution time now runs.", ref=ref)
            if starts_at_root_cause(incident, policy)
            else t._("{ref}: the cause has been found.", ref=ref)
        ),
        Action.REOPEN: lambda: t._("{ref} was reopened: {reason}", ref=ref, reason=text),
        Action.CLOSE: lambda: t._("{ref} is closed.", ref=ref),
        Action.EXPLAIN_BREACH: lambda: t._(
            "{ref}: news from support: {message}", ref=ref, message=text
        ),
    }
    make = messages.get(action)
    if make is None:
        return []
    return [Reply(make(), chat=chat, lang=t.lang, tags=("reporter",), incident=incident.id)]


def _data_breach_notices(
    session: Session, incident: Incident, customer: Customer, policy: Policy
) -> list[Reply]:
    rtype = policy.request_types.get(incident.request_type)
    if rtype is None or not rtype.notify_roles:
        return []
    replies = []
    platform = incident.origin_platform or "console"
    for role in rtype.notify_roles:
        contacts = contacts_with_role(session, customer.id, role)
        for chat, t in contacts_to_write(contacts, customer, platform):
            replies.append(
                Reply(
                    t._(
                        "{ref}: {kind} reported for {customer}. Support is handling it and will "
                        "give you what you need for your own notification.",
                        ref=incident.ref,
                        kind=rtype.label.get(t.lang),
                        customer=customer.name,
                    ),
                    chat=chat,
                    lang=t.lang,
                    incident=incident.id,
                )
            )
    return replies
