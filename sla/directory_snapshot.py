"""The directory in memory: who is who, read whole once and again only after it changed.

Every inbound event asks who wrote (staff, contact records, their customer) and where (the
chat's binding); a filed incident asks for the support chats, an escalation for its level's
members. As queries that is four to six statements an event, a quarter of its time, for data
that changes a few times a day. So each process keeps one snapshot per database and checks one
number per transaction: ``directoryversion.version``, which database triggers move on every
insert, update and delete of the directory's tables (migration 0008; on PostgreSQL as the
writing transaction commits), whoever writes — another replica, ``slabot directory import``,
SQL typed by hand.

The version is read before the tables, so a snapshot is never older than the number it is kept
under: a change that lands in between only makes the next transaction read it again. A session
that has written to the directory itself gets no snapshot (its lookups query the tables, which
show its own changes), and what it reads is not kept for others.

The objects are detached copies shared between threads: read them, never add them to a session
or change them.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from sla.models import ChatBinding, Contact, Customer, EscalationMember, Staff

_MODELS = (Customer, Contact, Staff, EscalationMember, ChatBinding)
_TABLES = frozenset(str(model.__tablename__) for model in _MODELS)
_VERSION = "SELECT version FROM directoryversion WHERE id = 1"
_WROTE = "slabot_directory_written"  # in session.info: this transaction changed the directory
_SEEN = "slabot_directory_snapshot"  # in session.info: the snapshot this transaction uses


@dataclass
class Snapshot:
    """The directory as of ``version``, indexed for the lookups of the hot path."""

    version: int
    customers: dict[str, Customer] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)  # inactive ones too, by id
    # (platform, user id or console handle) -> the active contact records of that identity
    contacts_of: dict[tuple[str, str], list[Contact]] = field(default_factory=dict)
    staff: dict[int, Staff] = field(default_factory=dict)
    staff_of: dict[tuple[str, str], Staff] = field(default_factory=dict)
    bindings: dict[tuple[str, str], ChatBinding] = field(default_factory=dict)
    support: list[ChatBinding] = field(default_factory=list)
    # level -> (staff, the customer the membership is for, None for every customer)
    members: dict[int, list[tuple[Staff, str | None]]] = field(default_factory=dict)


_KEPT: weakref.WeakKeyDictionary[Engine, Snapshot] = weakref.WeakKeyDictionary()
_LOADING = threading.Lock()


def snapshot(session: Session) -> Snapshot | None:
    """The directory as this transaction may read it, or None to query the tables instead."""
    info = session.info
    if info.get(_WROTE):
        return None
    seen: Snapshot | None = info.get(_SEEN)
    if seen is not None:
        return seen
    connection = session.connection()
    version = _version(connection)
    if version is None:  # the row is gone: nothing says when the directory changes
        return None
    engine = connection.engine
    kept = _KEPT.get(engine)
    if kept is None or kept.version != version:
        with _LOADING:  # one thread reads it; the others wait and take that one
            kept = _KEPT.get(engine)
            if kept is None or kept.version != version:
                kept = _load(connection, version)
                _KEPT[engine] = kept
    info[_SEEN] = kept
    return kept


def _version(connection: Connection) -> int | None:
    # The DBAPI cursor of the session's own connection, inside its transaction: the statement
    # has no parameters, so it reads the same on every database, and SQLAlchemy's per-statement
    # work (most of a statement's cost on SQLite) is skipped.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_VERSION)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return int(row[0]) if row is not None else None


def _load(connection: Connection, version: int) -> Snapshot:
    found = Snapshot(version)
    # A session of its own on the same connection and transaction: the objects it reads are
    # not the caller's (which its own lookups may have loaded and may change).
    with Session(bind=connection, expire_on_commit=False) as reader:
        customers = reader.exec(select(Customer).order_by(col(Customer.id))).all()
        contacts = reader.exec(select(Contact).order_by(col(Contact.id))).all()
        staff = reader.exec(select(Staff).order_by(col(Staff.id))).all()
        bindings = reader.exec(select(ChatBinding)).all()
        members = reader.exec(select(EscalationMember).order_by(col(EscalationMember.id))).all()
        reader.expunge_all()
    found.customers = {c.id: c for c in customers}
    contacts_of: defaultdict[tuple[str, str], list[Contact]] = defaultdict(list)
    for contact in contacts:
        assert contact.id is not None
        found.contacts[contact.id] = contact
        if contact.active:
            for key in _identities(contact):
                contacts_of[key].append(contact)
    found.contacts_of = dict(contacts_of)
    for person in staff:
        assert person.id is not None
        found.staff[person.id] = person
        for key in _identities(person):
            found.staff_of.setdefault(key, person)
    found.bindings = {(b.platform, b.chat_id): b for b in bindings}
    found.support = [b for b in bindings if b.purpose == "support"]
    levels: defaultdict[int, list[tuple[Staff, str | None]]] = defaultdict(list)
    for member in members:
        who = found.staff.get(member.staff_id)
        if who is not None:
            levels[member.level].append((who, member.customer_id))
    found.members = dict(levels)
    return found


def _identities(record: Contact | Staff) -> list[tuple[str, str]]:
    keys = [("console", record.handle)]
    if record.slack_user_id:
        keys.append(("slack", record.slack_user_id))
    if record.telegram_user_id:
        keys.append(("telegram", record.telegram_user_id))
    return keys


# -- a session that writes to the directory reads the tables from then on -------------------------


@event.listens_for(OrmSession, "before_flush")
def _note_flush(session: OrmSession, _flush: UOWTransaction, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _MODELS) for obj in changed):
        _wrote(session)


@event.listens_for(OrmSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in _TABLES:
        _wrote(state.session)


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    """A new transaction checks the version again."""
    session.info.pop(_SEEN, None)
    session.info.pop(_WROTE, None)


def _wrote(session: OrmSession) -> None:
    session.info[_WROTE] = True
    session.info.pop(_SEEN, None)
