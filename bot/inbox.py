"""Inbound events from any platform: handled once, in one transaction with their replies.

Replies addressed to a chat (the origin chat included) are written to the outbox in the same
transaction as the change, so nothing is lost between deciding and sending. Only answers meant
for the person who acted, right now (a button alert, an ephemeral refusal), come back to the
adapter to show inline. An adapter that shows the answers to the origin itself (a Slack modal)
asks for all of them back with ``keep_origin``; one that shows only some (a Telegram press: the
alert that fits a pop-up) says which with ``inline``, and the rest is queued with the change. One
that moves some of them elsewhere (a Slack DM, a message only the actor sees) says how with
``split``, and what it moves is queued with the change too. A redelivered event (same platform
key) is handled once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.outbox import enqueue
from bot.unreachable import mark_reachable
from handlers.router import dispatch
from handlers.types import Inbound, Reply
from sla.db import session_scope
from sla.i18n import translator
from sla.models import InboundEvent

log = logging.getLogger(__name__)
# What would come back to the adapter -> (what does, replies readdressed to chats).
Split = Callable[[list[Reply]], tuple[list[Reply], list[Reply]]]


_INBOUND = InboundEvent.metadata.tables["inboundevent"]
# One statement that marks the key and says whether it was new, built once (building a statement
# costs more than running it on SQLite). On PostgreSQL a second replica inserting the same key
# waits for the first one's transaction: after its commit the key conflicts (nothing inserted,
# nothing returned), after its rollback the second one inserts it and handles the event.
_MARK = {
    name: insert(_INBOUND)
    .on_conflict_do_nothing(index_elements=[_INBOUND.c.platform, _INBOUND.c.key])
    .returning(_INBOUND.c.key)
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


def first_time(session: Session, platform: str, key: str, now: datetime) -> bool:
    """Record that ``key`` was seen; False if it was (also by another replica)."""
    mark = _MARK.get(session.get_bind().dialect.name)
    if mark is not None:
        values = {"platform": platform, "key": key, "seen_at": now}
        return session.connection().execute(mark, values).first() is not None
    try:  # a database without ON CONFLICT: a savepoint around the row
        with session.begin_nested():
            session.add(InboundEvent(platform=platform, key=key, seen_at=now))
    except IntegrityError:
        return False
    return True


# How long an event's mark is kept. Slack retries an event within the hour and Telegram keeps
# an undelivered update for 24 hours. After a week without updates Telegram numbers the next
# one at random: a mark kept longer than that could swallow a new update as a redelivery.
KEPT = timedelta(days=6)
FORGET_BATCH = 5000
_FORGET = delete(_INBOUND).where(
    tuple_(_INBOUND.c.platform, _INBOUND.c.key).in_(
        select(_INBOUND.c.platform, _INBOUND.c.key)
        .where(_INBOUND.c.seen_at < bindparam("before"))
        .limit(bindparam("batch"))
    )
)


def forget_handled(engine: Engine, before: datetime, *, batch: int = FORGET_BATCH) -> int:
    """Drop the marks of events seen before ``before``; returns how many.

    A batch per transaction, so SQLite's write lock is never held long; another replica doing
    the same at once is harmless.
    """
    forgotten = 0
    while True:
        with engine.begin() as connection:
            done = connection.execute(_FORGET, {"before": before, "batch": batch}).rowcount
        forgotten += done
        if done < batch:
            return forgotten


class Inbox:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_queued = on_queued

    def process(
        self,
        event: Inbound,
        *,
        dedupe: str | None = None,
        keep_origin: bool = False,
        inline: Callable[[Reply], bool] | None = None,
        split: Split | None = None,
        reachable: Sequence[str] = (),
    ) -> list[Reply]:
        """Handle ``event``; returns the replies to show the person who acted.

        By default those are the replies without a chat that are alerts or ephemeral; the other
        replies without a chat are queued for the event's chat. With ``keep_origin``
        every reply without a chat comes back instead (the adapter shows them itself); with
        ``inline``, those it accepts. Replies that name their chat are queued in the handling's
        transaction either way. ``split`` then divides what would come back into what does and
        replies readdressed to chats, queued with the rest (the apology after a failure too,
        in a transaction of its own). ``reachable`` names chats of the event's platform that just
        showed they can be written to (the actor's, say): their unreachable records go, in the
        same transaction. A redelivery of ``dedupe`` returns nothing and changes nothing.
        """
        comes_back = inline or (lambda reply: keep_origin or reply.alert or reply.ephemeral)
        now = self.clock()
        platform = event.user.platform
        try:
            with session_scope(self.engine) as session:
                if dedupe is not None and not first_time(session, platform, dedupe, now):
                    return []
                for chat_id in reachable:
                    if mark_reachable(session, platform, chat_id):
                        log.info("%s chat %s is reachable again", platform, chat_id)
                shown: list[Reply] = []
                queued: list[Reply] = []
                for reply in dispatch(session, event, now):
                    if reply.chat is not None:
                        queued.append(reply)
                    elif comes_back(reply):
                        shown.append(reply)
                    else:
                        queued.append(replace(reply, chat=event.chat))
                if split is not None:
                    shown, moved = split(shown)
                    queued += moved
                enqueue(session, queued, now)
        except Exception:
            log.exception("handling a %s event failed", type(event).__name__)
            t = translator(event.user.locale)
            sorry = Reply(
                t._("Sorry, something went wrong and nothing was changed. Please try again."),
                lang=t.lang,
                ephemeral=True,
                alert=True,
            )
            return self._apologise(sorry, split, now)
        if queued and self.on_queued is not None:
            self.on_queued()
        return shown

    def _apologise(self, sorry: Reply, split: Split | None, now: datetime) -> list[Reply]:
        if split is None:
            return [sorry]
        shown, moved = split([sorry])
        if moved:
            try:
                with session_scope(self.engine) as session:
                    enqueue(session, moved, now)
            except Exception:  # the database itself is failing: the apology is all that is lost
                log.exception("queueing the apology failed")
                return [sorry]
            if self.on_queued is not None:
                self.on_queued()
        return shown
