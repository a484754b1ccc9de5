"""A chat the bot cannot write to: recorded, and the support group told instead.

A person who blocked the bot (or never started a private chat with it) cannot be written to;
nor can a group that removed the bot. The chat is recorded as an :class:`UnreachableChat`, and
the support chats of the customers it belongs to receive a notice with the message that did not
arrive, so someone can pass it on another way. A support chat that cannot be reached is only
recorded and logged (telling it would fail the same way).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from handlers.types import ChatRef, Reply
from sla.directory import binding, contacts_for, staff_for, support_chats
from sla.i18n import translator
from sla.models import ChatBinding, Customer, UnreachableChat
from sla.policy import builtin_policy

log = logging.getLogger(__name__)
MAX_REASON = 200


def mark_unreachable(
    session: Session, chat: ChatRef, reason: str, now: datetime, *, undelivered: str
) -> list[Reply]:
    """Record ``chat`` as unreachable; the notices for the support chats concerned."""
    record_unreachable(session, chat, reason, now)
    return _notices(session, chat, undelivered)


def record_unreachable(session: Session, chat: ChatRef, reason: str, now: datetime) -> None:
    known = session.get(UnreachableChat, (chat.platform, chat.id))
    if known is None:
        known = UnreachableChat(platform=chat.platform, chat_id=chat.id, reason="", since=now)
    known.reason = reason[:MAX_REASON]
    session.add(known)


def mark_reachable(session: Session, platform: str, chat_id: str) -> bool:
    """The person wrote to the bot again: forget that they could not be reached."""
    known = session.get(UnreachableChat, (platform, chat_id))
    if known is None:
        return False
    session.delete(known)
    session.flush()
    return True


def _language(customer: Customer | None) -> str:
    if customer is None:
        return "en"
    return customer.language or builtin_policy(customer.policy).doc.language


def _notices(session: Session, chat: ChatRef, undelivered: str) -> list[Reply]:
    bound = binding(session, chat.platform, chat.id)
    if bound is not None and bound.purpose == "support":
        log.error("support chat %s/%s cannot be reached", chat.platform, chat.id)
        return []
    customers: list[Customer] = []
    if bound is not None and bound.customer_id is not None:
        customer = session.get(Customer, bound.customer_id)
        customers += [customer] if customer is not None else []
    contacts = contacts_for(session, chat.platform, chat.id)
    for contact in contacts:
        customer = session.get(Customer, contact.customer_id)
        if customer is not None and customer not in customers:
            customers.append(customer)
    staff = staff_for(session, chat.platform, chat.id)
    name = contacts[0].name if contacts else staff.name if staff is not None else chat.id
    targets: list[tuple[ChatBinding, Customer | None]] = []
    for customer in customers:
        targets += [(b, customer) for b in support_chats(session, customer.id)]
    if not customers:
        # Staff (an escalation ping) or someone unknown: every support chat.
        everywhere = select(ChatBinding).where(ChatBinding.purpose == "support")
        targets += [(b, None) for b in session.exec(everywhere)]
    replies: list[Reply] = []
    seen: set[tuple[str, str]] = set()
    for target, customer in targets:
        where = (target.platform, target.chat_id)
        if where in seen or where == (chat.platform, chat.id):
            continue
        seen.add(where)
        lang = _language(customer) if customer else (staff.language if staff else None) or "en"
        t = translator(lang)
        if chat.private:
            head = t._(
                "{name} cannot be reached on Telegram: they blocked the bot or never started a "
                "private chat with it. This message did not reach them:",
                name=name,
            )
        else:
            head = t._(
                "The bot cannot write to the Telegram group of {customer} any more (it was "
                "removed or may not post there). This message did not arrive:",
                customer=customer.name if customer else chat.id,
            )
        replies.append(
            Reply(
                f"{head}\n\n{undelivered}",
                chat=ChatRef(target.platform, target.chat_id, private=False),
                lang=t.lang,
                tags=("unreachable",),
            )
        )
    return replies
