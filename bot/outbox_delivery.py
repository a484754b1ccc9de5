"""Sending the outbox: each chat's pending messages in order, once, with retries.

A replica leases a chat's oldest pending message before sending it (so replicas keep each
chat's order between them and do not send the same message twice), records the outcome, and
leases the chat's next message in the same transaction. A message that fails waits (backoff,
or the platform's Retry-After) and is parked after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as select_core
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from bot.group_commit import GroupCommit
from bot.metrics import DELIVERY_FAILURES, DELIVERY_INTERRUPTED, PARKED
from bot.offload import database_work
from bot.outbox import DeliveryError, LooksBack, NotKnown, Transport
from bot.outbox_payload import from_payload
from handlers.types import ChatRef, Reply
from sla.db import reading, session_scope
from sla.models import OutboxMessage, SentMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 15  # about an hour and a half of backing off before a message is parked
BATCH = 200
_OUTBOX = OutboxMessage.metadata.tables["outboxmessage"]
_SENT_MESSAGES = SentMessage.metadata.tables["sentmessage"]


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at 10 minutes."""
    return timedelta(seconds=min(2**attempts, 600))


LEASE = timedelta(seconds=60)  # longer than a send can take (the clients' time-outs)
INTERRUPTED = "sent again after an interrupted attempt: may have arrived twice"
# The notes on a message whose earlier attempt ended without an answer, after looking.
ARRIVED = "an earlier attempt had arrived: not sent again"
NOT_ARRIVED = "an earlier attempt had not arrived: sent once"


# The delivery's statements, built once with bound parameters (building a statement and its
# cache key costs more than running it on SQLite).
_OLDER = _OUTBOX.alias("older")
_FREE = _OUTBOX.alias("free")
# The message, if it is its chat's oldest pending one and nobody holds it. On PostgreSQL the
# row is locked with SKIP LOCKED: a claim never waits for another transaction (which could be
# another replica's group of claims waiting for this one's: a deadlock); a row another replica
# is claiming right now counts as claimed. SQLite has one writer at a time and no row locks.
_CLAIMABLE = (
    select_core(_FREE.c.id)
    .where(_FREE.c.id == bindparam("message"))
    .where(
        _FREE.c.id
        == select_core(func.min(_OLDER.c.id))
        .where(_OLDER.c.platform == bindparam("chat_platform"))
        .where(_OLDER.c.chat_id == bindparam("chat"))
        .where(_OLDER.c.status == "pending")
        .scalar_subquery()
    )
    .where(_FREE.c.status == "pending")
    .where(or_(_FREE.c.locked_until.is_(None), _FREE.c.locked_until < bindparam("now")))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == _CLAIMABLE.scalar_subquery())
    # Checked again on the row as it is now, whatever the subquery's snapshot said.
    .where(_OUTBOX.c.status == "pending")
    .where(or_(_OUTBOX.c.locked_until.is_(None), _OUTBOX.c.locked_until < bindparam("now")))
    .values(locked_until=bindparam("until"))
    .returning(_OUTBOX.c.id)
)
_RECLAIM = _CLAIM.values(last_error=INTERRUPTED, maybe_sent_at=bindparam("now"))


@dataclass(frozen=True)
class Pending:
    """A pending message as delivery reads it (a row, not an ORM object: cheaper to load)."""

    id: int
    created_at: datetime
    platform: str
    chat_id: str
    payload: dict[str, Any]
    next_attempt_at: datetime
    locked_until: datetime | None
    maybe_sent_at: datetime | None


_PENDING = (
    select_core(*(_OUTBOX.c[name] for name in Pending.__dataclass_fields__))
    .where(_OUTBOX.c.status == "pending")
    .where(_OUTBOX.c.platform.in_(bindparam("platforms", expanding=True)))
    .order_by(_OUTBOX.c.id)
    .limit(BATCH)
)
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message"))
    .values(
        status="sent", sent_at=bindparam("at"), attempts=_OUTBOX.c.attempts + 1, locked_until=None
    )
)
_SENT_WITH_NOTE = _SENT.values(last_error=bindparam("note"))


_SENT_UNDER = {
    name: insert(_SENT_MESSAGES)
    .values(
        platform=bindparam("platform"),
        chat_id=bindparam("chat"),
        key=bindparam("key"),
        message_id=bindparam("message_id"),
    )
    .on_conflict_do_update(
        index_elements=[_SENT_MESSAGES.c.platform, _SENT_MESSAGES.c.chat_id, _SENT_MESSAGES.c.key],
        set_={"message_id": bindparam("message_id")},
    )
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
_MESSAGE_ID = (
    select_core(_SENT_MESSAGES.c.message_id)
    .where(_SENT_MESSAGES.c.platform == bindparam("platform"))
    .where(_SENT_MESSAGES.c.chat_id == bindparam("chat"))
    .where(_SENT_MESSAGES.c.key == bindparam("key"))
)
# The delivery's own transactions are on the engine's connections, not in ORM sessions: a
# message takes two of them (its claim, its outcome), and a session costs as much again as
# the statement in it on SQLite.


def _claim(connection: Connection, row: Pending, now: datetime, lease: timedelta) -> bool:
    """Lease a chat's oldest pending message to this process; False if another has it.

    Only the oldest pending message of a chat can be claimed, so replicas keep each chat's
    order between them. A lease that ran out without an outcome means its sender stopped
    mid-way (killed, or slower than the lease): the platform may have the message already, so
    the row is marked ``maybe_sent_at`` and :func:`_deliver` looks before it sends.
    """
    interrupted = row.locked_until is not None
    values = {
        "message": row.id,
        "chat_platform": row.platform,
        "chat": row.chat_id,
        "now": now,
        "until": now + lease,
    }
    claim = _RECLAIM if interrupted else _CLAIM
    return connection.execute(claim, values).first() is not None


CONCURRENCY = 8  # chats sent to at the same time, each in its own order


async def deliver_due(
    engine: Engine,
    transports: Mapping[str, Transport],
    now: datetime,
    *,
    clock: Callable[[], datetime] | None = None,
    lease: timedelta = LEASE,
    concurrency: int = CONCURRENCY,
) -> int:
    """Send what is due at ``now`` on the platforms at hand; returns how many went out.

    Up to ``concurrency`` chats are sent to at the same time (a platform 100 ms away would
    otherwise cap a process at ten messages a second); within a chat, one message after the
    other, oldest first, and a chat stops at its first message that is not due, claimed by
    another replica, or failed. With ``clock`` the time is read again for each message, so
    leases, retry times and Retry-After count from when each attempt happened, however long
    the batch takes. The database work runs where :mod:`bot.offload` says (in worker threads
    on PostgreSQL, so the loop goes on receiving meanwhile; on the loop on SQLite). The chats'
    claims and outcomes that fall due together share a transaction (:class:`GroupCommit`).
    """
    current = clock or (lambda: now)
    writes: GroupCommit[bool] = GroupCommit(engine)
    rows = await database_work(engine, _pending, engine, list(transports))
    chats: dict[tuple[str, str], list[Pending]] = {}
    for row in rows:
        chats.setdefault((row.platform, row.chat_id), []).append(row)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one_chat(queue: list[Pending]) -> int:
        sent = 0
        async with gate:
            first = queue[0]
            if first.next_attempt_at > current():
                return 0
            at = current()
            if not await writes.run(lambda connection: _claim(connection, first, at, lease)):
                return 0  # another replica has the chat's oldest message: order first
            for row, then in zip(queue, [*queue[1:], None], strict=True):
                # The next message is claimed in the transaction that records this one's
                # outcome, if it is due by then.
                outcome = await _deliver(
                    engine, writes, transports[row.platform], row, current, then=then, lease=lease
                )
                if not outcome.delivered:
                    break
                sent += 1
                if not outcome.next_claimed:
                    break
        return sent

    # Every chat finishes what it has in hand before an error (the database away) is raised:
    # a send cut off midway would be sent again after its lease, perhaps twice.
    results = await asyncio.gather(*map(one_chat, chats.values()), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return sum(r for r in results if isinstance(r, int))


def _pending(engine: Engine, platforms: list[str]) -> list[Pending]:
    """The oldest pending messages of these platforms (a batch)."""
    with reading(engine) as connection:
        rows = connection.execute(_PENDING, {"platforms": platforms})
        return [Pending(*row) for row in rows]


def _sent_before(engine: Engine, row: Pending, key: str) -> str | None:
    """The platform's id of the message sent to the row's chat under ``key``, if any."""
    values = {"platform": row.platform, "chat": row.chat_id, "key": key}
    with reading(engine) as connection:
        found = connection.execute(_MESSAGE_ID, values).scalar()
    return str(found) if found is not None else None


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    next_claimed: bool = False


async def _deliver(
    engine: Engine,
    writes: GroupCommit[bool],
    transport: Transport,
    row: Pending,
    clock: Callable[[], datetime],
    *,
    then: Pending | None = None,
    lease: timedelta = LEASE,
) -> _Outcome:
    """Send ``row`` (claimed); record the outcome, and claim ``then`` with it if it is due."""
    reply = from_payload(row.payload)
    chat = ChatRef(row.platform, row.chat_id, reply.chat.private if reply.chat else True)
    edit_id = None
    if reply.key is not None:
        edit_id = await database_work(engine, _sent_before, engine, row, reply.key)
    tag = str(row.id)
    note: str | None = None
    try:
        # An edit made again changes nothing; a new message after an attempt without an
        # answer is looked for first, where the platform can say.
        if edit_id is None and (row.locked_until is not None or row.maybe_sent_at is not None):
            try:
                found = await _find_sent(transport, reply, chat, tag, row.created_at)
            except NotKnown:
                if row.locked_until is not None:
                    DELIVERY_INTERRUPTED.labels(row.platform).inc()
                    log.warning("outbox message %s: %s", row.id, INTERRUPTED)
            else:
                if found is not None:
                    log.info("outbox message %s: %s", row.id, ARRIVED)
                    sent = Sent(row, reply.key, found, clock(), ARRIVED)
                    claimed = await writes.run(
                        partial(_mark_sent, sent=sent, then=then, lease=lease)
                    )
                    return _Outcome(True, claimed)
                note = NOT_ARRIVED
        message_id = await transport.send(reply, chat, edit_id, tag=tag)
    except DeliveryError as error:
        await database_work(engine, _failed, engine, row, clock(), error)
        return _Outcome(False)
    except Exception as error:  # a bug or an unexpected library error: retry, then park
        log.exception("sending outbox message %s failed", row.id)
        await database_work(engine, _failed, engine, row, clock(), DeliveryError(repr(error)))
        return _Outcome(False)
    sent = Sent(row, reply.key, message_id, clock(), note)
    claimed = await writes.run(partial(_mark_sent, sent=sent, then=then, lease=lease))
    return _Outcome(True, claimed)


async def _find_sent(
    transport: Transport, reply: Reply, chat: ChatRef, tag: str, since: datetime
) -> str | None:
    if not isinstance(transport, LooksBack):
        raise NotKnown(transport.platform)
    return await transport.find_sent(reply, chat, tag, since)


@dataclass(frozen=True)
class Sent:
    """A message the platform took: its row, its key and the platform's id for it."""

    row: Pending
    key: str | None
    message_id: str
    at: datetime
    note: str | None = None


def _mark_sent(
    connection: Connection, *, sent: Sent, then: Pending | None, lease: timedelta
) -> bool:
    """Record ``sent``; claim ``then`` in the same transaction if it is due. Whether it was."""
    row = sent.row
    if sent.note is None:
        connection.execute(_SENT, {"message": row.id, "at": sent.at})
    else:
        connection.execute(_SENT_WITH_NOTE, {"message": row.id, "at": sent.at, "note": sent.note})
    if sent.key is not None:
        upsert = _SENT_UNDER[connection.dialect.name]
        values = {"platform": row.platform, "chat": row.chat_id, "key": sent.key}
        connection.execute(upsert, {**values, "message_id": sent.message_id})
    if then is None or then.next_attempt_at > sent.at:
        return False
    return _claim(connection, then, sent.at, lease)


def _failed(engine: Engine, row: Pending, now: datetime, error: DeliveryError) -> None:
    with session_scope(engine) as session:
        stored = session.get(OutboxMessage, row.id)
        assert stored is not None
        stored.attempts += 1
        stored.locked_until = None
        stored.last_error = str(error)[:500]
        if error.maybe_sent and stored.maybe_sent_at is None:
            stored.maybe_sent_at = now
        DELIVERY_FAILURES.labels(stored.platform).inc()
        # Rate limits say when to come back: they delay a message but never park it.
        if error.permanent or (error.retry_after is None and stored.attempts >= MAX_ATTEMPTS):
            stored.status = "parked"
            PARKED.labels(stored.platform).inc()
            tries = f"{stored.attempts} attempt" + ("s" if stored.attempts != 1 else "")
            log.warning("outbox message %s parked after %s", stored.id, tries)
        else:
            wait = (
                timedelta(seconds=error.retry_after)
                if error.retry_after is not None
                else backoff(stored.attempts)
            )
            stored.next_attempt_at = now + wait
        session.add(stored)
