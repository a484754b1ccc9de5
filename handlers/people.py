"""Who is writing: their contact and staff records, their customer, and the language to answer in.

The reader's language is their platform locale, else their contact (or staff) record, else the
customer's, else the policy's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlmodel import Session

from handlers.types import ChatRef, UserRef
from sla.directory import binding, contacts_for, customer_by_id, staff_for
from sla.i18n import LANGUAGES, Translator, normalize_language, translator
from sla.models import ChatBinding, Contact, Customer, Incident, Staff
from sla.policy import Policy, builtin_policy
from sla.service import incident_prefix


@dataclass
class Person:
    user: UserRef
    chat: ChatRef
    staff: Staff | None
    contact: Contact | None
    customer: Customer | None
    contacts: list[Contact]
    lang: str

    @property
    def t(self) -> Translator:
        return translator(self.lang)

    @property
    def policy(self) -> Policy | None:
        return builtin_policy(self.customer.policy) if self.customer else None


def _locale(code: str | None) -> str | None:
    if not code:
        return None
    lang = normalize_language(code)
    return lang if code.lower().startswith(lang) and lang in LANGUAGES else None


def language_for(
    locale: str | None, record: Contact | Staff | None, customer: Customer | None
) -> str:
    for candidate in (_locale(locale), record.language if record else None):
        if candidate:
            return candidate
    return customer_language(customer)


def reader_language(record: Contact | Staff | None, customer: Customer | None) -> str:
    """The language of someone written to first (no platform locale at hand): their record's,
    else their customer's, else the customer's policy's."""
    return language_for(None, record, customer)


def support_language(chat: ChatBinding, customer: Customer | None) -> str:
    """The language a support chat reads: its own (its team's), else the customer's."""
    return chat.language or customer_language(customer)


def customer_language(customer: Customer | None) -> str:
    if customer is None:
        return "en"
    return customer.language or builtin_policy(customer.policy).doc.language


def identify(session: Session, user: UserRef, chat: ChatRef) -> Person:
    """Look the person up; in a customer's chat, the contact record of that customer wins."""
    staff = staff_for(session, user.platform, user.id)
    contacts = contacts_for(session, user.platform, user.id)
    bound = binding(session, chat.platform, chat.id)
    contact: Contact | None = None
    customer: Customer | None = None
    if bound is not None and bound.purpose == "customer" and bound.customer_id:
        customer = customer_by_id(session, bound.customer_id)
        contact = next((c for c in contacts if c.customer_id == bound.customer_id), None)
    elif len(contacts) >= 1:
        contact = sorted(contacts, key=lambda c: c.customer_id)[0]
        customer = customer_by_id(session, contact.customer_id)
    lang = language_for(user.locale, contact or staff, customer)
    return Person(user, chat, staff, contact, customer, contacts, lang)


def contact_chat(contact: Contact, platform: str) -> ChatRef | None:
    """The private chat with a contact on ``platform`` (their user id), if they have one."""
    if platform == "console":
        return ChatRef("console", contact.handle)
    user_id = contact.telegram_user_id if platform == "telegram" else contact.slack_user_id
    return ChatRef(platform, user_id) if user_id else None


def contacts_to_write(
    contacts: Iterable[Contact], customer: Customer, platform: str
) -> Iterator[tuple[ChatRef, Translator]]:
    """For each contact reachable privately on ``platform``: their chat, and a translator in
    the language they read (their record's, else the customer's, else the policy's)."""
    for contact in contacts:
        chat = contact_chat(contact, platform)
        if chat is not None:
            yield chat, translator(reader_language(contact, customer))


def staff_chats(staff: Staff) -> list[ChatRef]:
    """A staff member's private chats: on Slack and Telegram where the directory has their ids.

    Only someone with neither (the demo's staff) is written to in the console: a console
    message queued for anyone else would wait in the outbox for ever, since ``slabot run``
    does not deliver to the console."""
    chats = []
    if staff.slack_user_id:
        chats.append(ChatRef("slack", staff.slack_user_id))
    if staff.telegram_user_id:
        chats.append(ChatRef("telegram", staff.telegram_user_id))
    return chats or [ChatRef("console", staff.handle)]


def reporter_chat(incident: Incident, reporter: Contact) -> ChatRef | None:
    """Where the reporter hears about their incident: privately, on the platform they used."""
    return contact_chat(reporter, incident.origin_platform or "console")


def example_ref(person: Person) -> str:
    """An incident ref to show in an example, as the person's own refs look (``PLUVO-42``)."""
    prefix = incident_prefix(person.customer) if person.customer is not None else "PLEK"
    return f"{prefix}-42"
