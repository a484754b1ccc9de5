"""Someone who may not file a report: refused in their language with what to do instead, or,
where the policy says so (Plek 3.1), asked for their question, which is forwarded to the
customer's registered contact persons.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.drafts import MAX_FIELD_LENGTH, delete_draft, save_draft
from handlers.people import Person, contacts_to_write, identify
from handlers.types import Prompt, Reply, Text
from sla.directory import contacts_with_role, customer_by_id
from sla.models import Contact, Customer, Draft
from sla.policy import Policy
from sla.service import policy_of


def refuse(session: Session, person: Person, text: str, now: datetime) -> list[Reply]:
    t = person.t
    customer, policy = person.customer, person.policy
    if customer is not None and policy is not None and policy.doc.filing.unregistered == "forward":
        # Plek 3.1: questions from other users go to the customer's Beheerders.
        if text.strip():
            return forward(session, person, customer, policy, text.strip())
        save_draft(
            session,
            Draft(
                platform=person.user.platform,
                user_id=person.user.id,
                chat_id=person.chat.id,
                kind="forward",
                updated_at=now,
                data={"customer": customer.id},
            ),
        )
        return [
            Reply(
                t._(
                    "Only registered contact persons of {customer} can report incidents to "
                    "support. Describe your question in one message and I will pass it on to "
                    "them.",
                    customer=customer.name,
                ),
                lang=t.lang,
                prompt=Prompt("forward", t._("Your question for your contact persons:")),
            )
        ]
    contact = person.contact
    if contact is not None and customer is not None and policy is not None:
        # Registered, with a role the contract does not let report (Klik 7.2): not "register".
        roles = [
            policy.doc.roles[r].label.get(t.lang) for r in contact.roles if r in policy.doc.roles
        ]
        line = t._(
            "You are registered with {customer} as {role}, and with that role you cannot report "
            "incidents here.",
            customer=customer.name,
            role=t.either(roles) if roles else "—",
        )
        hint = policy.doc.filing.hint
        lines = [line]
        if hint is not None:
            lines.append(hint.get(t.lang))
        else:
            lines.append(
                t._(
                    "Ask a contact person of {customer} who may report incidents to do so.",
                    customer=customer.name,
                )
            )
        return [Reply("\n".join(lines), lang=t.lang, ephemeral=True)]
    lines = [t._("Sorry, only registered contact persons can report incidents here.")]
    if customer is not None:
        lines.append(
            t._(
                "You are not registered as a contact person of {customer} who may report "
                "incidents. Ask one of your organisation's contact persons to have you "
                "registered with support.",
                customer=customer.name,
            )
        )
    else:
        lines.append(
            t._(
                "Ask your organisation's contact person to have you registered with support, "
                "then try again."
            )
        )
    if policy is not None and policy.doc.filing.hint is not None:
        lines.append(policy.doc.filing.hint.get(t.lang))
    return [Reply("\n".join(lines), lang=t.lang, ephemeral=True)]


def forward(
    session: Session, person: Person, customer: Customer, policy: Policy, text: str
) -> list[Reply]:
    """Pass a non-registered user's question to the customer's registered contacts."""
    t = person.t
    recipients: list[Contact] = []
    for role in policy.doc.filing.forward_to:
        recipients += [
            c for c in contacts_with_role(session, customer.id, role) if c not in recipients
        ]
    replies = []
    # The directory's name where there is one: the same on every platform.
    name = person.contact.name if person.contact else person.user.name or person.user.id
    for chat, rt in contacts_to_write(recipients, customer, person.user.platform):
        replies.append(
            Reply(
                rt._(
                    "{name} asked support a question; as a registered contact person, please "
                    "handle it or report it with /incident:",
                    name=name,
                )
                + "\n\n"
                + text[:MAX_FIELD_LENGTH],
                chat=chat,
                lang=rt.lang,
            )
        )
    if not replies:
        return [
            Reply(
                t._(
                    "Sorry, {customer} has no registered contact person I can reach. "
                    "Please contact support another way.",
                    customer=customer.name,
                ),
                lang=t.lang,
            )
        ]
    names = ", ".join(c.name for c in recipients)
    replies.insert(
        0, Reply(t._("Your question was passed on to: {names}.", names=names), lang=t.lang)
    )
    return replies


def forward_answer(session: Session, draft: Draft, event: Text, now: datetime) -> list[Reply]:
    """The question a non-registered user typed after being told it would be forwarded."""
    person = identify(session, event.user, event.chat)
    text = event.text.strip()
    if not text:
        return [
            Reply(
                person.t._("Please type your question in one message, or /cancel."),
                lang=person.lang,
            )
        ]
    delete_draft(session, draft)
    customer = customer_by_id(session, str(draft.data.get("customer", "")))
    if customer is None:
        return refuse(session, person, "", now)
    return forward(session, person, customer, policy_of(customer), text)
