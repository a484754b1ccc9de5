"""``/contacts``: staff list, add and remove a customer's contact persons from chat.

    /contacts acme                              list
    /contacts acme add piet beheerder Piet Jansen telegram=123 lang=nl
    /contacts acme remove piet

The policy's rules hold here as in an import (roles it knows, its maximum per customer).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from handlers.people import Person, identify
from handlers.types import Command, Reply
from sla.directory import DirectoryError, customer_contacts, remove_contact, save_contact
from sla.i18n import LANGUAGES, Translator
from sla.models import Contact, Customer

ADMIN_ROLES = ("admin", "manager")
USAGE_LINES = (
    "/contacts CUSTOMER",
    "/contacts CUSTOMER add HANDLE ROLE[,ROLE] NAME [telegram=ID] [slack=ID] [lang=nl|de|en]",
    "/contacts CUSTOMER remove HANDLE",
)


def directory_error_text(t: Translator, error: DirectoryError) -> str:
    p = error.params
    messages = {
        "unknown_role": lambda: t._(
            "Role {role} is not known under policy {policy} (known: {known}).", **p
        ),
        "too_many_contacts": lambda: t.n_(
            "{customer} already has {n} contact person with role {role}, the most its "
            "contract allows ({clause}).",
            "{customer} already has {n} contact persons with role {role}, the most its "
            "contract allows ({clause}).",
            int(p["maximum"]),
            customer=p["customer"],
            role=p["label"].get(t.lang),
            clause=p["clause"],
        ),
        "no_role": lambda: t._("Give {handle} at least one role.", **p),
        "unknown_customer": lambda: t._("There is no customer {customer}.", **p),
        "unknown_tier": lambda: t._("Policy {policy} has no tier {tier} (tiers: {known}).", **p),
        "unknown_staff_role": lambda: t._("Staff role {role} is not known (known: {known}).", **p),
    }
    make = messages.get(error.code)
    return make() if make else t._("That cannot be done now.")


def _usage(t: Translator) -> Reply:
    return Reply(t._("Use:") + "\n" + "\n".join(USAGE_LINES), lang=t.lang)


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    t = person.t
    if person.staff is None or not set(person.staff.roles) & set(ADMIN_ROLES):
        return [
            Reply(
                t._("Only support administrators can change contact persons."),
                lang=t.lang,
                ephemeral=True,
            )
        ]
    words = event.args.split()
    if not words:
        return [_usage(t)]
    customer = session.get(Customer, words[0].lower())
    if customer is None:
        return [Reply(t._("There is no customer {customer}.", customer=words[0]), lang=t.lang)]
    if len(words) == 1:
        return [_list(session, t, customer)]
    verb = words[1].lower()
    if verb == "add" and len(words) >= 5:
        return [_add(session, person, customer, words[2:])]
    if verb == "remove" and len(words) == 3:
        return [_remove(session, t, customer, words[2].lower())]
    return [_usage(t)]


def _list(session: Session, t: Translator, customer: Customer) -> Reply:
    contacts = customer_contacts(session, customer.id)
    if not contacts:
        return Reply(
            t._("{customer} has no contact persons yet.", customer=customer.name), lang=t.lang
        )
    lines = [t._("Contact persons of {customer}:", customer=customer.name)]
    lines += [f"{c.handle} · {c.name} · {', '.join(c.roles)}" for c in contacts]
    return Reply("\n".join(lines), lang=t.lang)


def _add(session: Session, person: Person, customer: Customer, words: list[str]) -> Reply:
    t = person.t
    handle, roles_text, *rest = words
    handle = handle.lower()
    options = dict(w.split("=", 1) for w in rest if "=" in w)
    name = " ".join(w for w in rest if "=" not in w)
    lang = options.get("lang")
    if lang is not None and lang not in LANGUAGES:
        return Reply(t._("Language {lang} is not one of nl, de, en.", lang=lang), lang=t.lang)
    existing = session.exec(
        select(Contact).where(Contact.customer_id == customer.id).where(Contact.handle == handle)
    ).first()
    if existing is not None and existing.active:
        return Reply(
            t._(
                "{customer} already has a contact {handle}.", customer=customer.name, handle=handle
            ),
            lang=t.lang,
        )
    contact = existing or Contact(customer_id=customer.id, handle=handle.lower(), name=handle)
    contact.sqlmodel_update(
        dict(
            active=True,
            name=name or handle,
            roles=[r for r in roles_text.lower().split(",") if r],
            language=lang,
            telegram_user_id=options.get("telegram"),
            slack_user_id=options.get("slack"),
        )
    )
    try:
        save_contact(session, customer, contact)
    except DirectoryError as error:
        if existing is not None:
            session.expire(existing)
        return Reply(directory_error_text(t, error), lang=t.lang)
    return Reply(
        t._(
            "Added {name} ({roles}) to {customer}.",
            name=contact.name,
            roles=", ".join(contact.roles),
            customer=customer.name,
        ),
        lang=t.lang,
    )


def _remove(session: Session, t: Translator, customer: Customer, handle: str) -> Reply:
    contact = session.exec(
        select(Contact).where(Contact.customer_id == customer.id).where(Contact.handle == handle)
    ).first()
    if contact is None:
        return Reply(
            t._("{customer} has no contact {handle}.", customer=customer.name, handle=handle),
            lang=t.lang,
        )
    remove_contact(session, contact)
    return Reply(
        t._("Removed {name} from {customer}.", name=contact.name, customer=customer.name),
        lang=t.lang,
    )
