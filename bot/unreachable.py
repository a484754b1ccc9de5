"""A chat the bot cannot write to: recorded, support told instead, forgotten when it is back.

A person who blocked the bot (Telegram), whose account was deactivated (Slack), or a group or
channel the bot was removed from cannot be written to. The transport that found out records the
chat as an :class:`UnreachableChat` and parks the message; this module also queues a notice with
the message that did not arrive for the support chats of the customers the chat belongs to (any
platform), in each customer's language, so someone can pass it on another way. A support chat
that cannot be reached is only recorded and logged (telling it would fail the same way). When
the person writes to the bot again, the adapter forgets the record (:func:`mark_reachable`).

What differs per platform is only how the notice explains it: each adapter brings its
:class:`Wording`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.outbox import enqueue
from handlers.people import support_language
from handlers.types import ChatRef, Reply
from sla.db import session_scope
from sla.directory import binding, contacts_for, customer_by_id, staff_for, support_chats
from sla.i18n import Translator, translator
from sla.models import ChatBinding, Customer, UnreachableChat

log = logging.getLogger(__name__)
MAX_REASON = 200


@dataclass(frozen=True)
class Wording:
    """How one platform says that a chat cannot be reached; each ends in a colon, the message
    that did not arrive follows."""

    person: Callable[[Translator, str], str]  # a private chat: the person's name
    group: Callable[[Translator, str], str]  # a group or channel: its customer's name


def report_unreachable(
    engine: Engine,
    chat: ChatRef,
    reason: str,
    now: datetime,
    *,
    undelivered: str,
    wording: Wording,
) -> bool:
    """Record ``chat`` and queue the notices, in one transaction; True if any was queued."""
    with session_scope(engine) as session:
        notices = mark_unreachable(
            session, chat, reason, now, undelivered=undelivered, wording=wording
        )
        enqueue(session, notices, now)
    return bool(notices)


def mark_unreachable(
    session: Session,
    chat: ChatRef,
    reason: str,
    now: datetime,
    *,
    undelivered: str,
    wording: Wording,
) -> list[Reply]:
    """Record ``chat`` as unreachable; the notices for the support chats concerned."""
    record_unreachable(session, chat, reason, now)
    return notices(session, chat, undelivered, wording)


def record_unreachable(session: Session, chat: ChatRef, reason: str, now: datetime) -> None:
    """Record ``chat`` (or update the reason of its record, which keeps its ``since``)."""
    known = session.get(UnreachableChat, (chat.platform, chat.id))
    if known is None:
        known = UnreachableChat(platform=chat.platform, chat_id=chat.id, reason="", since=now)
    known.reason = reason[:MAX_REASON]
    session.add(known)


_UNREACHABLE = UnreachableChat.metadata.tables["unreachablechat"]
# Built once: every event a person sends runs it, and almost never finds a row (building the
# statement, or loading through the ORM, costs more than running it).
_FORGET = delete(_UNREACHABLE).where(
    _UNREACHABLE.c.platform == bindparam("platform"),
    _UNREACHABLE.c.chat_id == bindparam("chat_id"),
)


def mark_reachable(session: Session, platform: str, chat_id: str) -> bool:
    """The person wrote to the bot again: forget that they could not be reached."""
    # On the session's connection: a statement through the ORM session costs half again more,
    # and this one runs for every event.
    result = session.connection().execute(_FORGET, {"platform": platform, "chat_id": chat_id})
    return bool(result.rowcount)


def notices(session: Session, chat: ChatRef, undelivered: str, wording: Wording) -> list[Reply]:
    """What the support chats are told about ``chat`` (none if it is a support chat itself)."""
    bound = binding(session, chat.platform, chat.id)
    if bound is not None and bound.purpose == "support":
        log.error("support chat %s/%s cannot be reached", chat.platform, chat.id)
        return []
    customers: list[Customer] = []
    if bound is not None and bound.customer_id is not None:
        customer = customer_by_id(session, bound.customer_id)
        customers += [customer] if customer is not None else []
    contacts = contacts_for(session, chat.platform, chat.id)
    for contact in contacts:
        customer = customer_by_id(session, contact.customer_id)
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
        if customer is not None:
            t = translator(support_language(target, customer))
        else:
            t = translator(target.language or (staff.language if staff else None) or "en")
        if chat.private:
            head = wording.person(t, name)
        else:
            head = wording.group(t, customer.name if customer else chat.id)
        replies.append(
            Reply(
                f"{head}\n\n{undelivered}",
                chat=ChatRef(target.platform, target.chat_id, private=False),
                lang=t.lang,
                tags=("unreachable",),
            )
        )
    return replies
