"""Who is who: customers, contact persons, staff, escalation levels and chat bindings.

The policy's filing rules are enforced here, whatever the entry point (import file or chat):
roles must be ones the policy knows, and a role's maximum per customer holds (Pluvo: 3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import BindParameter, bindparam
from sqlmodel import Session, col, select

from sla.directory_snapshot import Snapshot, snapshot
from sla.models import ChatBinding, Contact, Customer, Draft, EscalationMember, Incident, Staff
from sla.policy import builtin_policy

STAFF_ROLES = ("support", "lead", "manager", "admin")
PLATFORMS = ("slack", "telegram", "console")

# The lookups every inbound event and every fired timer makes are built once, with bound
# parameters: building a select and its cache key costs more than running it on SQLite
# (about 100 of 150 microseconds a lookup), and a built statement memoises its key.
_USER: BindParameter[str] = bindparam("user_id")
_CONTACTS_BY = {
    "console": select(Contact).where(col(Contact.active)).where(col(Contact.handle) == _USER),
    "slack": select(Contact).where(col(Contact.active)).where(col(Contact.slack_user_id) == _USER),
    "telegram": select(Contact)
    .where(col(Contact.active))
    .where(col(Contact.telegram_user_id) == _USER),
}
_STAFF_BY = {
    "console": select(Staff).where(col(Staff.handle) == _USER),
    "slack": select(Staff).where(col(Staff.slack_user_id) == _USER),
    "telegram": select(Staff).where(col(Staff.telegram_user_id) == _USER),
}
_BINDING = (
    select(ChatBinding)
    .where(col(ChatBinding.platform) == bindparam("platform"))
    .where(col(ChatBinding.chat_id) == bindparam("chat_id"))
)
_CUSTOMER = select(Customer).where(col(Customer.id) == bindparam("id"))
_SUPPORT_CHATS = select(ChatBinding).where(col(ChatBinding.purpose) == "support")
_ESCALATION_MEMBERS = (
    select(Staff, EscalationMember)
    .join(EscalationMember, col(EscalationMember.staff_id) == col(Staff.id))
    .where(col(EscalationMember.level) == bindparam("level"))
)


class DirectoryError(Exception):
    """A directory change the policy forbids; ``code`` and ``params`` word it for people."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def _identity_column(platform: str) -> str:
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    return "telegram_user_id" if platform == "telegram" else "slack_user_id"


# The lookups below read the directory's in-memory snapshot when the transaction may (see
# ``sla.directory_snapshot``): the objects they return are then shared, to read only.


def contacts_for(session: Session, platform: str, user_id: str) -> list[Contact]:
    """The active contact records of one chat identity (one per customer they represent)."""
    _identity_column(platform)  # refuses an unknown platform
    known = snapshot(session)
    if known is not None:
        return list(known.contacts_of.get((platform, user_id), ()))
    return list(session.exec(_CONTACTS_BY[platform], params={"user_id": user_id}))


def staff_for(session: Session, platform: str, user_id: str) -> Staff | None:
    _identity_column(platform)
    known = snapshot(session)
    if known is not None:
        return known.staff_of.get((platform, user_id))
    return session.exec(_STAFF_BY[platform], params={"user_id": user_id}).first()


def binding(session: Session, platform: str, chat_id: str) -> ChatBinding | None:
    known = snapshot(session)
    if known is not None:
        return known.bindings.get((platform, chat_id))
    # A select by primary key rather than ``session.get``, which builds its query each time;
    # the result is the same object (the identity map holds one per row).
    params = {"platform": platform, "chat_id": chat_id}
    return session.exec(_BINDING, params=params).first()


def customer_by_id(session: Session, customer_id: str) -> Customer | None:
    """The customer by id, like ``session.get`` but with a query built once."""
    known = snapshot(session)
    if known is not None:
        return known.customers.get(customer_id)
    return session.exec(_CUSTOMER, params={"id": customer_id}).first()


def contact_by_id(session: Session, contact_id: int | None) -> Contact | None:
    """A contact record by id, inactive ones too (the reporter of an old incident)."""
    return _by_id(session, Contact, contact_id, lambda known: known.contacts)


def staff_by_id(session: Session, staff_id: int | None) -> Staff | None:
    return _by_id(session, Staff, staff_id, lambda known: known.staff)


_Record = TypeVar("_Record", Contact, Staff)


def _by_id(
    session: Session,
    model: type[_Record],
    record_id: int | None,
    index: Callable[[Snapshot], dict[int, _Record]],
) -> _Record | None:
    if record_id is None:
        return None
    known = snapshot(session)
    if known is not None:
        return index(known).get(record_id)
    return session.get(model, record_id)


def support_chats(session: Session, customer_id: str) -> list[ChatBinding]:
    """Support channels that see this customer's incidents (bound to it, or to everyone)."""
    known = snapshot(session)
    rows = known.support if known is not None else session.exec(_SUPPORT_CHATS).all()
    return [b for b in rows if b.customer_id in (None, customer_id)]


def escalation_members(session: Session, customer_id: str, level: int) -> list[Staff]:
    known = snapshot(session)
    if known is not None:
        members = known.members.get(level, [])
        return [staff for staff, member_of in members if member_of in (None, customer_id)]
    rows = session.exec(_ESCALATION_MEMBERS, params={"level": level}).all()
    return [staff for staff, member in rows if member.customer_id in (None, customer_id)]


def contacts_with_role(session: Session, customer_id: str, role: str) -> list[Contact]:
    query = select(Contact).where(Contact.customer_id == customer_id).where(col(Contact.active))
    return [c for c in session.exec(query) if role in c.roles]


def check_contact(session: Session, customer: Customer, contact: Contact) -> None:
    """Raise :class:`DirectoryError` if the policy does not allow this contact as it stands."""
    with session.no_autoflush:
        _check_contact(session, customer, contact)


def _check_contact(session: Session, customer: Customer, contact: Contact) -> None:
    policy = builtin_policy(customer.policy)
    if not contact.roles:
        raise DirectoryError("no_role", handle=contact.handle)
    for role in contact.roles:
        rule = policy.doc.roles.get(role)
        if rule is None:
            known = ", ".join(policy.doc.roles)
            raise DirectoryError("unknown_role", role=role, policy=policy.id, known=known)
        if rule.max_per_customer is None:
            continue
        others = [c for c in contacts_with_role(session, customer.id, role) if c.id != contact.id]
        if len(others) >= rule.max_per_customer:
            raise DirectoryError(
                "too_many_contacts",
                role=role,
                label=rule.label,
                customer=customer.name,
                maximum=rule.max_per_customer,
                clause=rule.clause or "",
            )


def save_contact(session: Session, customer: Customer, contact: Contact) -> Contact:
    check_contact(session, customer, contact)
    session.add(contact)
    session.flush()
    return contact


def remove_contact(session: Session, contact: Contact) -> None:
    """Remove a contact; one who reported incidents stays in the audit trail, inactive."""
    reported = session.exec(select(Incident.id).where(Incident.reporter_id == contact.id)).first()
    if reported is None:
        for draft in session.exec(select(Draft).where(Draft.contact_id == contact.id)):
            session.delete(draft)
        session.delete(contact)
    else:
        contact.active = False
        contact.slack_user_id = contact.telegram_user_id = None
        session.add(contact)
    session.flush()


def customer_contacts(session: Session, customer_id: str) -> Sequence[Contact]:
    query = select(Contact).where(Contact.customer_id == customer_id).where(col(Contact.active))
    return session.exec(query.order_by(col(Contact.handle))).all()


def check_staff_roles(roles: Sequence[str]) -> None:
    for role in roles:
        if role not in STAFF_ROLES:
            raise DirectoryError("unknown_staff_role", role=role, known=", ".join(STAFF_ROLES))
