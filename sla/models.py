"""Durable records: the directory, incidents and their append-only event log.

Times are stored in UTC (naive in the database, aware in Python: see :class:`UTCDateTime`),
so SQLite and PostgreSQL hold the same values. Schema changes go through Alembic
(``sla/migrations``); the tests check that the migrations build exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _when(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED, Status.WAITING)


class Customer(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    policy: str = Field(max_length=64)
    tier: str | None = None
    language: str | None = Field(default=None, max_length=8)
    incident_prefix: str | None = Field(default=None, max_length=16)


class Contact(SQLModel, table=True):
    """A contact person of a customer; only some roles may file incidents."""

    __table_args__ = (UniqueConstraint("customer_id", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    handle: str = Field(max_length=64, index=True)
    name: str
    roles: list[str] = _json(list)
    language: str | None = Field(default=None, max_length=8)
    email: str | None = None
    slack_user_id: str | None = Field(default=None, index=True)
    telegram_user_id: str | None = Field(default=None, index=True)
    active: bool = True


class Staff(SQLModel, table=True):
    """Someone on the provider's side: support, lead, manager; ``admin`` manages the directory."""

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(max_length=64, unique=True)
    name: str
    roles: list[str] = _json(list)
    language: str | None = Field(default=None, max_length=8)
    email: str | None = None
    slack_user_id: str | None = Field(default=None, index=True)
    telegram_user_id: str | None = Field(default=None, index=True)


class EscalationMember(SQLModel, table=True):
    """Who is pinged at escalation ``level`` (1-based); no ``customer_id``: every customer."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    level: int
    customer_id: str | None = Field(default=None, foreign_key="customer.id", index=True)


class ChatBinding(SQLModel, table=True):
    """Which chat belongs to which customer, and which chat is a support channel."""

    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=128)
    purpose: str = Field(max_length=16)  # "customer" or "support"
    customer_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    # A support chat's own language (its team's); else each customer's, as for its contacts.
    language: str | None = Field(default=None, max_length=8)


class DirectoryVersion(SQLModel, table=True):
    """One row whose number moves with every change to the tables above (database triggers,
    migration 0008): the bot's in-memory directory is read again when it has moved."""

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=1, sa_type=BigInteger)


class Counter(SQLModel, table=True):
    """The last number handed out per incident prefix, for ids people can say (PLEK-42)."""

    prefix: str = Field(primary_key=True, max_length=16)
    last: int = 0


class Problem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=32)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    title: str
    rca_required: bool = False
    root_cause: str | None = None
    status: str = "open"
    created_at: datetime = _when(nullable=False)


class Incident(SQLModel, table=True):
    __table_args__ = (
        Index("ix_incident_customer_status", "customer_id", "status"),
        Index("ix_incident_status_reported", "status", "reported_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=32)
    customer_id: str = Field(foreign_key="customer.id")
    reporter_id: int = Field(foreign_key="contact.id", index=True)
    request_type: str = Field(max_length=32)
    proposed_priority: str | None = Field(default=None, max_length=32)
    priority: str | None = Field(default=None, max_length=32)
    answers: dict[str, str] = _json(dict)
    fields: dict[str, str] = _json(dict)
    status: str = Field(default=Status.OPEN, max_length=16)
    language: str = Field(max_length=8)
    escalation_level: int = 0
    assignee_id: int | None = Field(default=None, foreign_key="staff.id")
    problem_id: int | None = Field(default=None, foreign_key="problem.id", index=True)
    reported_at: datetime = _when(nullable=False, index=True)
    acknowledged_at: datetime | None = _when()
    root_cause_at: datetime | None = _when()
    resolved_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    paused_since: datetime | None = _when()
    response_due: datetime | None = _when()
    resolution_due: datetime | None = _when()
    resolution_note: str | None = None
    origin_platform: str | None = Field(default=None, max_length=16)
    origin_chat_id: str | None = Field(default=None, max_length=128)


class IncidentPause(SQLModel, table=True):
    """A stretch of waiting on the customer; ``ended_at`` None while it lasts."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    started_at: datetime = _when(nullable=False)
    ended_at: datetime | None = _when()


class IncidentEvent(SQLModel, table=True):
    """One line of an incident's audit trail. Rows are only ever added."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: datetime = _when(nullable=False)
    kind: str = Field(max_length=32)
    actor_kind: str = Field(max_length=16)  # contact, staff or system
    actor_id: int | None = None
    actor_name: str
    reason: str | None = None
    data: dict[str, Any] = _json(dict)


class Draft(SQLModel, table=True):
    """What the bot asked a person last and is waiting on, so a restart resumes it.

    ``kind`` is ``intake`` (a questionnaire in progress: ``answers`` and ``fields``) or a staff
    action waiting for its text (``resolve``, ``priority``, ``forward`` ...) with ``ref`` and
    ``data``.
    """

    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    chat_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    ref: str | None = Field(default=None, max_length=32)
    answers: dict[str, str] = _json(dict)
    fields: dict[str, str] = _json(dict)
    data: dict[str, Any] = _json(dict)
    updated_at: datetime = _when(nullable=False)


class Timer(SQLModel, table=True):
    """A moment the bot must act on an incident: a reminder, a breach, an escalation step.

    Rows are derived from the deadlines (``sla.schedule``) and re-derived on every change;
    a row that fired keeps ``fired_at`` and is never derived again, so each fires once.
    """

    __table_args__ = (
        Index(
            "ix_timer_pending_due",
            "due_at",
            postgresql_where=text("fired_at IS NULL"),
            sqlite_where=text("fired_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=16)  # reminder, breach or escalation
    target: str = Field(max_length=16)  # response or resolution
    point: float = 1.0  # fraction of the target's clock time
    level: int = 0  # escalation level this step raises to
    due_at: datetime = _when(nullable=False)
    fired_at: datetime | None = _when()
    late: bool = False


class OutboxMessage(SQLModel, table=True):
    """An outgoing message, written in the transaction that decided to send it.

    Delivery (``bot.outbox_delivery``) sends pending rows in order per chat with retries; a
    message that keeps failing is parked, never dropped.
    """

    # Sent rows only grow: a status (bound or literal) and a chat's latest messages are
    # found without reading them (migration 0009).
    __table_args__ = (
        Index("ix_outbox_status_chat", "status", "platform", "chat_id", "id"),
        Index("ix_outbox_chat", "platform", "chat_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _when(nullable=False)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", max_length=16)  # pending, sent, parked
    attempts: int = 0
    next_attempt_at: datetime = _when(nullable=False)
    sent_at: datetime | None = _when()
    last_error: str | None = None
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    locked_until: datetime | None = _when()  # a replica is sending it until then
    # When an attempt ended without telling whether the platform took the message (a time-out,
    # a dropped connection, a sender killed mid-way): the next attempt looks before it sends.
    maybe_sent_at: datetime | None = _when()


class SentMessage(SQLModel, table=True):
    """The platform's id of a message sent under a key (the incident card), to edit it later."""

    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=128)
    key: str = Field(primary_key=True, max_length=160)
    message_id: str = Field(max_length=128)


class InboundEvent(SQLModel, table=True):
    """A platform event handled already (Telegram ``update_id``, Slack ``event_id``).

    Written in the transaction that handles the event, so a redelivery is handled once and a
    handling that failed is tried again when the platform retries.
    """

    platform: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = _when(nullable=False, index=True)


class UnreachableChat(SQLModel, table=True):
    """A chat the bot cannot write to (a user blocked the bot, a channel it left)."""

    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=128)
    reason: str = Field(max_length=200)
    since: datetime = _when(nullable=False)


class MaintenanceWindow(SQLModel, table=True):
    """Planned maintenance of a customer's service, recorded by staff.

    ``announced_at`` is when the customer was told (by default when it was recorded): the notice
    rules (Plek 2.4.1, Pluvo 5.1) are checked against it, and only maintenance announced before it
    started counts as planned where availability leaves planned maintenance out (Pluvo 4.2).
    A cancelled window keeps its row, with ``cancelled_at``.
    """

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    starts_at: datetime = _when(nullable=False)
    ends_at: datetime = _when(nullable=False)
    announced_at: datetime = _when(nullable=False)
    note: str | None = None
    recorded_by: str
    recorded_at: datetime = _when(nullable=False)
    cancelled_at: datetime | None = _when()
    cancelled_by: str | None = None


class OutageCorrection(SQLModel, table=True):
    """Staff's correction of the outage an incident records (one row per incident, latest wins).

    By default an incident of a "down" priority records an outage from its report to its
    resolution. ``started_at``/``ended_at`` replace either end when set; ``counts`` True counts an
    incident of another priority, False leaves one out (a cause the contract excludes). Every
    correction is also an ``outage_corrected`` event in the incident's audit trail.
    """

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    started_at: datetime | None = _when()
    ended_at: datetime | None = _when()
    counts: bool | None = None
    reason: str
    corrected_by: str
    corrected_at: datetime = _when(nullable=False)
