"""The directory as a YAML file: import (idempotent upsert, with a dry run) and export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, select

from sla.directory import DirectoryError, check_contact, check_staff_roles
from sla.models import ChatBinding, Contact, Customer, EscalationMember, Staff
from sla.policy import builtin_ids, builtin_policy
from sla.policy_schema import LANGUAGES


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactEntry(_Model):
    handle: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    roles: list[str] = Field(min_length=1)
    language: str | None = None
    email: str | None = None
    slack: str | None = None
    telegram: str | None = None


class ChatEntry(_Model):
    platform: Literal["slack", "telegram", "console"]
    chat_id: str


class CustomerEntry(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    policy: str
    tier: str | None = None
    language: str | None = None
    incident_prefix: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    contacts: list[ContactEntry] = []
    chats: list[ChatEntry] = []

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        if value not in builtin_ids():
            raise ValueError(f"unknown policy {value!r} (known: {', '.join(builtin_ids())})")
        return value


class EscalationEntry(_Model):
    level: int = Field(ge=1)
    customer: str | None = None


class StaffEntry(_Model):
    handle: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    roles: list[str] = Field(min_length=1)
    language: str | None = None
    email: str | None = None
    slack: str | None = None
    telegram: str | None = None
    escalation: list[EscalationEntry] = []


class SupportChat(ChatEntry):
    customer: str | None = None
    language: str | None = None  # the team's; else each customer's


class DirectoryFile(_Model):
    customers: list[CustomerEntry] = []
    staff: list[StaffEntry] = []
    support_chats: list[SupportChat] = []


def parse_directory(data: Any) -> DirectoryFile:
    """Validate the file's data; raises ``ValueError`` with one line per problem."""
    try:
        parsed = DirectoryFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ValueError("\n".join(lines)) from None
    for lang in _languages(parsed):
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return parsed


def _languages(parsed: DirectoryFile) -> list[str]:
    found = [c.language for c in parsed.customers]
    found += [p.language for c in parsed.customers for p in c.contacts]
    found += [s.language for s in parsed.staff]
    found += [chat.language for chat in parsed.support_chats]
    return [lang for lang in found if lang is not None]


@dataclass(frozen=True)
class Change:
    """One change an import makes: ``action`` add/update/remove, ``subject`` what kind of
    entry (customer, contact, staff, escalation, customer_chat, support_chat), ``key`` which."""

    action: str
    subject: str
    key: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.action} {self.subject.replace('_', ' ')} {self.key}"
        return f"{text}: {', '.join(self.fields)}" if self.fields else text


def _set(row: Any, values: dict[str, Any], subject: str, key: str, changes: list[Change]) -> None:
    diffs = [k for k, v in values.items() if getattr(row, k) != v]
    for name in diffs:
        setattr(row, name, values[name])
    if diffs:
        changes.append(Change("update", subject, key, tuple(diffs)))


def import_directory(session: Session, parsed: DirectoryFile) -> list[Change]:
    """Upsert everything in the file; returns the changes made (empty when nothing changed).

    Raises :class:`DirectoryError` when the result would break a policy rule; the caller
    rolls back, so nothing half-imports.
    """
    changes: list[Change] = []
    for entry in parsed.customers:
        _import_customer(session, entry, changes)
    for staff_entry in parsed.staff:
        _import_staff(session, staff_entry, changes)
    for chat in parsed.support_chats:
        _bind(session, chat, "support", chat.customer, changes, language=chat.language)
    session.flush()
    return changes


def _import_customer(session: Session, entry: CustomerEntry, changes: list[Change]) -> None:
    tiers = builtin_policy(entry.policy).doc.tiers
    if entry.tier is not None and entry.tier not in tiers:
        raise DirectoryError(
            "unknown_tier", tier=entry.tier, policy=entry.policy, known=", ".join(tiers) or "-"
        )
    customer = session.get(Customer, entry.id)
    values: dict[str, Any] = {
        "name": entry.name,
        "policy": entry.policy,
        "tier": entry.tier,
        "language": entry.language,
        "incident_prefix": entry.incident_prefix,
    }
    if customer is None:
        customer = Customer(id=entry.id, **values)
        session.add(customer)
        changes.append(Change("add", "customer", entry.id))
    else:
        _set(customer, values, "customer", entry.id, changes)
    session.flush()
    for person in entry.contacts:
        query = select(Contact).where(Contact.customer_id == entry.id)
        contact = session.exec(query.where(Contact.handle == person.handle)).first()
        values = {
            "name": person.name,
            "roles": list(person.roles),
            "language": person.language,
            "email": person.email,
            "slack_user_id": person.slack,
            "telegram_user_id": person.telegram,
            "active": True,
        }
        label = f"{entry.id}/{person.handle}"
        if contact is None:
            contact = Contact(customer_id=entry.id, handle=person.handle, **values)
            changes.append(Change("add", "contact", label))
        else:
            _set(contact, values, "contact", label, changes)
        check_contact(session, customer, contact)
        session.add(contact)
        session.flush()
    for chat in entry.chats:
        _bind(session, chat, "customer", entry.id, changes)


def _import_staff(session: Session, entry: StaffEntry, changes: list[Change]) -> None:
    check_staff_roles(entry.roles)
    staff = session.exec(select(Staff).where(Staff.handle == entry.handle)).first()
    values: dict[str, Any] = {
        "name": entry.name,
        "roles": list(entry.roles),
        "language": entry.language,
        "email": entry.email,
        "slack_user_id": entry.slack,
        "telegram_user_id": entry.telegram,
    }
    if staff is None:
        staff = Staff(handle=entry.handle, **values)
        session.add(staff)
        changes.append(Change("add", "staff", entry.handle))
    else:
        _set(staff, values, "staff", entry.handle, changes)
    session.flush()
    wanted = {(e.level, e.customer) for e in entry.escalation}
    query = select(EscalationMember).where(EscalationMember.staff_id == staff.id)
    current = {(m.level, m.customer_id): m for m in session.exec(query)}
    for key in sorted(wanted - current.keys(), key=str):
        level, customer = key
        if customer is not None and session.get(Customer, customer) is None:
            raise DirectoryError("unknown_customer", customer=customer)
        assert staff.id is not None
        session.add(EscalationMember(staff_id=staff.id, level=level, customer_id=customer))
        where = f" ({customer})" if customer else ""
        changes.append(Change("add", "escalation", f"{level} {entry.handle}{where}"))
    for key in sorted(current.keys() - wanted, key=str):
        session.delete(current[key])
        changes.append(Change("remove", "escalation", f"{key[0]} {entry.handle}"))


def _bind(
    session: Session,
    chat: ChatEntry,
    purpose: str,
    customer: str | None,
    changes: list[Change],
    *,
    language: str | None = None,
) -> None:
    if customer is not None and session.get(Customer, customer) is None:
        raise DirectoryError("unknown_customer", customer=customer)
    row = session.get(ChatBinding, (chat.platform, chat.chat_id))
    subject, label = f"{purpose}_chat", f"{chat.platform}:{chat.chat_id}"
    if row is None:
        session.add(
            ChatBinding(
                platform=chat.platform,
                chat_id=chat.chat_id,
                purpose=purpose,
                customer_id=customer,
                language=language,
            )
        )
        changes.append(Change("add", subject, label))
    else:
        values = {"purpose": purpose, "customer_id": customer, "language": language}
        _set(row, values, subject, label, changes)


def export_directory(session: Session) -> dict[str, Any]:
    """The whole directory in the import file's format."""
    customers = []
    for customer in session.exec(select(Customer).order_by(col(Customer.id))):
        contacts = session.exec(
            select(Contact).where(Contact.customer_id == customer.id).order_by(col(Contact.handle))
        )
        chats = session.exec(
            select(ChatBinding)
            .where(ChatBinding.customer_id == customer.id)
            .where(ChatBinding.purpose == "customer")
        )
        customers.append(
            _clean(
                {
                    "id": customer.id,
                    "name": customer.name,
                    "policy": customer.policy,
                    "tier": customer.tier,
                    "language": customer.language,
                    "incident_prefix": customer.incident_prefix,
                    "contacts": [_person(c) for c in contacts],
                    "chats": [{"platform": b.platform, "chat_id": b.chat_id} for b in chats],
                }
            )
        )
    staff_rows = []
    for staff in session.exec(select(Staff).order_by(col(Staff.handle))):
        members = session.exec(
            select(EscalationMember).where(EscalationMember.staff_id == staff.id)
        )
        levels = [_clean({"level": m.level, "customer": m.customer_id}) for m in members]
        staff_rows.append(_clean({**_person(staff), "escalation": levels}))
    support = session.exec(select(ChatBinding).where(ChatBinding.purpose == "support"))
    return {
        "customers": customers,
        "staff": staff_rows,
        "support_chats": [
            _clean(
                {
                    "platform": b.platform,
                    "chat_id": b.chat_id,
                    "customer": b.customer_id,
                    "language": b.language,
                }
            )
            for b in support
        ],
    }


def _person(person: Contact | Staff) -> dict[str, Any]:
    return _clean(
        {
            "handle": person.handle,
            "name": person.name,
            "roles": list(person.roles),
            "language": person.language,
            "email": person.email,
            "slack": person.slack_user_id,
            "telegram": person.telegram_user_id,
        }
    )


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != []}
