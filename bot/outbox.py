"""The outbox: outgoing messages are rows first, delivered afterwards with retries.

A message is written in the same transaction as the change that caused it (a timer's claim),
so a crash between deciding and sending loses nothing. Delivery goes in order per chat: a chat
whose oldest pending message cannot be sent yet waits. A message that keeps failing is parked
(``status = 'parked'``), visible and retryable, never silently dropped.

This module is the writing side and what a platform's transport implements; sending is
:mod:`bot.outbox_delivery` (a round: claim, send, record) and :mod:`bot.delivery_loop` (the
running bot's task that starts the rounds). The architecture page names this module for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from bot.outbox_payload import to_payload
from handlers.types import ChatRef, Reply
from sla.models import OutboxMessage


class DeliveryError(Exception):
    """A failed send. ``retry_after`` (seconds) when the platform said when to try again;
    ``permanent`` when trying again cannot help (the message is parked at once); ``maybe_sent``
    when the platform may have taken the message all the same (no answer came in time)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.maybe_sent = maybe_sent


class NotKnown(Exception):
    """The platform cannot say whether an earlier attempt at this message arrived."""


class Transport(Protocol):
    platform: str

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str) -> str:
        """Send (or, with ``edit_id``, edit) one message; return the platform's message id.

        ``tag`` names the outbox row; a transport that can look back for it (:class:`LooksBack`)
        stores it with the message."""
        ...


@runtime_checkable
class LooksBack(Protocol):
    """A transport that can find a message it sent, by its tag, after an attempt that ended
    without an answer: the message is then marked sent instead of being sent twice."""

    async def find_sent(self, reply: Reply, chat: ChatRef, tag: str, since: datetime) -> str | None:
        """The platform's id of the message sent to ``chat`` under ``tag`` since ``since``, or
        None when it is not there. Raises :class:`NotKnown` when the platform cannot say, and
        :class:`DeliveryError` when it cannot be asked now."""
        ...


_ADD_MESSAGES = insert(OutboxMessage.metadata.tables["outboxmessage"])


def enqueue(
    session: Session,
    replies: Iterable[Reply],
    now: datetime,
    *,
    incident_id: int | None = None,
) -> int:
    """Write replies that name their chat as pending messages (in the caller's transaction).

    One INSERT on the table for all of them, at once, in the order given (a chat's order is the
    order of the ids); not OutboxMessage objects through the unit of work, which cost several
    times as much. Returns how many were written.
    """
    rows = [
        {
            "created_at": now,
            "platform": reply.chat.platform,
            "chat_id": reply.chat.id,
            "payload": to_payload(reply),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "incident_id": reply.incident if reply.incident is not None else incident_id,
        }
        for reply in replies
        if reply.chat is not None
    ]
    if rows:
        session.connection().execute(_ADD_MESSAGES, rows)  # not through the ORM
    return len(rows)


def recent_payloads(
    connection: Connection, platform: str, chat_id: str, limit: int
) -> list[Mapping[str, Any]]:
    """The payloads of the last ``limit`` messages written for a chat, newest first (an index
    finds them, however many the chat or the others have had)."""
    query = (
        select(OutboxMessage.payload)
        .where(OutboxMessage.platform == platform)
        .where(OutboxMessage.chat_id == chat_id)
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    return list(connection.execute(query).scalars())
