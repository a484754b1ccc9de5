"""The incident life cycle. Every change writes an :class:`IncidentEvent` with actor and reason.

Functions take keyword-only ``session`` and ``now`` (the clock is injected) and leave committing
to the caller, so a handler's whole turn is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sla.clock import clock_for
from sla.models import (
    OPEN_STATUSES,
    Contact,
    Counter,
    Customer,
    Incident,
    IncidentEvent,
    IncidentPause,
    Problem,
    Staff,
    Status,
)
from sla.policy import Policy, builtin_policy
from sla.schedule import reschedule


class ServiceError(Exception):
    """A change that the incident's state or the policy does not allow.

    ``code`` names the reason for the handlers, which word it for people.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Actor:
    kind: Literal["contact", "staff", "system"]
    id: int | None
    name: str

    @classmethod
    def of(cls, person: Contact | Staff) -> Actor:
        return cls("contact" if isinstance(person, Contact) else "staff", person.id, person.name)


SYSTEM = Actor("system", None, "slabot")


def policy_of(customer: Customer) -> Policy:
    return builtin_policy(customer.policy)


def tier_of(customer: Customer) -> str | None:
    """The customer's tier; a policy with tiers puts a customer without one in its first tier,
    so nobody gets a tier's extras (Perplex First Class) by omission."""
    tiers = policy_of(customer).doc.tiers
    if customer.tier is None and tiers:
        return tiers[0]
    return customer.tier


def record(
    session: Session,
    incident: Incident,
    kind: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    **data: Any,
) -> None:
    """Append an event to the incident's log, written at once.

    An INSERT on the table rather than an IncidentEvent through the unit of work, which costs
    about three times as much; the row is there for later queries in the transaction as it
    would be after the next flush.
    """
    assert incident.id is not None
    values = {
        "incident_id": incident.id,
        "at": now,
        "kind": kind,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "reason": reason,
        "data": data,
    }
    session.execute(_ADD_EVENT, values)


_ADD_EVENT = insert(IncidentEvent.metadata.tables["incidentevent"])


# Statements of the filing path built once (building one costs more than running it on SQLite).
# The counter is bumped on its table, not through the ORM: an ORM UPDATE also searches the
# session for Counter objects to synchronise (nothing reads them), which costs 4x the statement.
_COUNTER = Counter.metadata.tables["counter"]
_BUMP = (
    update(_COUNTER)
    .where(_COUNTER.c.prefix == bindparam("counter_prefix"))
    .values(last=_COUNTER.c.last + 1)
    .returning(_COUNTER.c.last)
)
_PAUSES = (
    select(IncidentPause)
    .where(col(IncidentPause.incident_id) == bindparam("incident_id"))
    .order_by(col(IncidentPause.started_at))
)


def next_number(session: Session, prefix: str) -> int:
    """Hand out the next number for ``prefix`` atomically, also across replicas."""
    value = session.execute(_BUMP, {"counter_prefix": prefix}).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        with session.begin_nested():
            session.add(Counter(prefix=prefix, last=0))
    except IntegrityError:
        pass  # another transaction created it first
    return next_number(session, prefix)


def open_incident(
    *,
    session: Session,
    customer: Customer,
    reporter: Contact,
    request_type: str,
    priority: str | None,
    answers: Mapping[str, str],
    fields: Mapping[str, str],
    language: str,
    now: datetime,
    origin: tuple[str, str] | None = None,
) -> Incident:
    """File a report: store it, compute its deadlines, open a problem for RCA priorities."""
    policy = policy_of(customer)
    key = priority or request_type
    kind = policy.kind(key)
    clock_for(policy).check_tier(kind, tier_of(customer))
    prefix = customer.incident_prefix or policy.doc.incident_prefix
    number = next_number(session, prefix)
    assert reporter.id is not None
    incident = Incident(
        ref=f"{prefix}-{number}",
        customer_id=customer.id,
        reporter_id=reporter.id,
        request_type=request_type,
        proposed_priority=priority,
        priority=priority,
        answers=dict(answers),
        fields=dict(fields),
        language=language,
        reported_at=now,
        origin_platform=origin[0] if origin else None,
        origin_chat_id=origin[1] if origin else None,
    )
    recompute_deadlines(session=session, incident=incident, policy=policy)
    session.add(incident)
    session.flush()
    record(
        session,
        incident,
        "reported",
        actor=Actor.of(reporter),
        now=now,
        request_type=request_type,
        priority=priority,
        answers=dict(answers),
    )
    _open_rca_problem(session, incident, policy, now)
    _retime(session, incident, now, new=True)
    return incident


def pauses_of(session: Session, incident: Incident) -> list[IncidentPause]:
    if incident.id is None:
        return []
    return list(session.exec(_PAUSES, params={"incident_id": incident.id}))


def recompute_deadlines(*, session: Session, incident: Incident, policy: Policy) -> None:
    """Deadlines from the report time, the root cause and the closed pauses.

    While a pause lasts, a clock that had not run out before it has no deadline (None);
    resuming computes it again.
    """
    clock = clock_for(policy)
    pauses = pauses_of(session, incident)
    closed = [
        (p.started_at, p.ended_at)
        for p in pauses
        if p.ended_at is not None and p.ended_at > p.started_at
    ]
    result = clock.deadlines(
        incident.priority or incident.request_type,
        reported_at=incident.reported_at,
        root_cause_at=incident.root_cause_at,
        paused=closed,
    )
    response, resolution = result.response.due, result.resolution.due
    if incident.paused_since is not None:
        since = incident.paused_since
        frozen = set(clock.pausable)
        if response is not None and response > since and "response" in frozen:
            response = None
        if resolution is not None and resolution > since and "resolution" in frozen:
            resolution = None
    incident.response_due = response
    incident.resolution_due = resolution


def _retime(session: Session, incident: Incident, now: datetime, *, new: bool = False) -> None:
    """Derive the incident's timers again after a change (see ``sla.schedule``).

    ``new``: the incident was just filed, so it has no timers and no pauses to look up yet.
    """
    customer = session.get(Customer, incident.customer_id)
    assert customer is not None
    session.add(incident)
    session.flush()
    policy = policy_of(customer)
    reschedule(session=session, incident=incident, policy=policy, now=now, new=new)


def _require(incident: Incident, *allowed: str) -> None:
    if incident.status not in allowed:
        raise ServiceError("bad_status", ref=incident.ref, status=incident.status)


def acknowledge(*, session: Session, incident: Incident, actor: Actor, now: datetime) -> None:
    """The first response by support."""
    _require(incident, *OPEN_STATUSES)
    if incident.acknowledged_at is not None:
        raise ServiceError("already_acknowledged", ref=incident.ref)
    incident.acknowledged_at = now
    if incident.status == Status.OPEN:
        incident.status = Status.ACKNOWLEDGED
    record(session, incident, "acknowledged", actor=actor, now=now)
    _retime(session, incident, now)


def change_priority(
    *,
    session: Session,
    incident: Incident,
    policy: Policy,
    tier: str | None,
    actor: Actor,
    priority: str,
    reason: str,
    now: datetime,
) -> None:
    """Re-prioritise; the deadlines are computed again from the report time."""
    _require(incident, *OPEN_STATUSES)
    if not reason.strip():
        raise ServiceError("reason_required")
    try:
        kind = policy.kind(priority)
    except KeyError:
        raise ServiceError("unknown_priority", priority=priority) from None
    if kind.priority is None:
        raise ServiceError("unknown_priority", priority=priority)
    clock_for(policy).check_tier(kind, tier)
    if kind.id == incident.priority:
        raise ServiceError("same_priority", priority=kind.id)
    old = incident.priority
    incident.priority = kind.id
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(
        session,
        incident,
        "priority_changed",
        actor=actor,
        now=now,
        reason=reason,
        old=old,
        new=kind.id,
    )
    _retime(session, incident, now)
    _open_rca_problem(session, incident, policy, now)


def assign(
    *, session: Session, incident: Incident, actor: Actor, assignee: Staff, now: datetime
) -> None:
    _require(incident, *OPEN_STATUSES)
    incident.assignee_id = assignee.id
    record(session, incident, "assigned", actor=actor, now=now, assignee=assignee.handle)


def record_root_cause(
    *,
    session: Session,
    incident: Incident,
    policy: Policy,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> None:
    """Support knows the root cause: starts a resolution clock that waits for it (Infravision)."""
    _require(incident, *OPEN_STATUSES)
    if incident.root_cause_at is not None:
        raise ServiceError("root_cause_known", ref=incident.ref)
    incident.root_cause_at = now
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(session, incident, "root_cause_known", actor=actor, now=now, reason=note)
    _retime(session, incident, now)


def wait_on_customer(
    *,
    session: Session,
    incident: Incident,
    policy: Policy,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> None:
    _require(incident, Status.OPEN, Status.ACKNOWLEDGED)
    assert incident.id is not None
    session.add(IncidentPause(incident_id=incident.id, started_at=now))
    incident.paused_since = now
    incident.status = Status.WAITING
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(session, incident, "waiting", actor=actor, now=now, reason=reason)
    _retime(session, incident, now)


def resume(
    *, session: Session, incident: Incident, policy: Policy, actor: Actor, now: datetime
) -> None:
    _require(incident, Status.WAITING)
    _end_pause(session, incident, now)
    incident.status = Status.ACKNOWLEDGED if incident.acknowledged_at else Status.OPEN
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(session, incident, "resumed", actor=actor, now=now)
    _retime(session, incident, now)


def _end_pause(session: Session, incident: Incident, now: datetime) -> None:
    for pause in pauses_of(session, incident):
        if pause.ended_at is None:
            pause.ended_at = now
            session.add(pause)
    incident.paused_since = None
    session.flush()


def resolve(
    *,
    session: Session,
    incident: Incident,
    policy: Policy,
    actor: Actor,
    note: str,
    now: datetime,
) -> None:
    """Resolved (a workaround counts); the note is what the reporter is told was done."""
    _require(incident, *OPEN_STATUSES)
    if not note.strip():
        raise ServiceError("note_required")
    if incident.status == Status.WAITING:
        _end_pause(session, incident, now)
        recompute_deadlines(session=session, incident=incident, policy=policy)
    incident.status = Status.RESOLVED
    incident.resolved_at = now
    incident.resolution_note = note
    record(session, incident, "resolved", actor=actor, now=now, reason=note)
    _retime(session, incident, now)


def reopen(
    *, session: Session, incident: Incident, actor: Actor, reason: str, now: datetime
) -> None:
    _require(incident, Status.RESOLVED)
    if not reason.strip():
        raise ServiceError("reason_required")
    incident.status = Status.ACKNOWLEDGED if incident.acknowledged_at else Status.OPEN
    incident.resolved_at = None
    record(session, incident, "reopened", actor=actor, now=now, reason=reason)
    _retime(session, incident, now)


def inform(
    *, session: Session, incident: Incident, actor: Actor, message: str, now: datetime
) -> None:
    """Support tells the customer something (Klik 7.6: the reason and a new estimated end)."""
    _require(incident, *OPEN_STATUSES)
    if not message.strip():
        raise ServiceError("reason_required")
    record(session, incident, "customer_informed", actor=actor, now=now, reason=message)


def close(*, session: Session, incident: Incident, actor: Actor, now: datetime) -> None:
    _require(incident, Status.RESOLVED)
    incident.status = Status.CLOSED
    incident.closed_at = now
    record(session, incident, "closed", actor=actor, now=now)
    _retime(session, incident, now)


def escalate(
    *,
    session: Session,
    incident: Incident,
    policy: Policy,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> int:
    """Raise the incident to the next escalation level; returns the new level (1-based)."""
    _require(incident, *OPEN_STATUSES)
    if actor.kind == "contact" and not policy.doc.escalation.contacts_may_escalate:
        raise ServiceError("escalation_not_allowed")
    top = len(policy.doc.escalation.levels)
    if incident.escalation_level >= top:
        raise ServiceError("top_level", ref=incident.ref, level=top)
    incident.escalation_level += 1
    record(
        session,
        incident,
        "escalated",
        actor=actor,
        now=now,
        reason=reason,
        level=incident.escalation_level,
        role=policy.doc.escalation.levels[incident.escalation_level - 1].role,
    )
    return incident.escalation_level


def open_problem(
    *, session: Session, customer_id: str, title: str, rca_required: bool, now: datetime
) -> Problem:
    problem = Problem(
        ref=f"PRB-{next_number(session, 'PRB')}",
        customer_id=customer_id,
        title=title,
        rca_required=rca_required,
        created_at=now,
    )
    session.add(problem)
    session.flush()
    return problem


def link_problem(
    *, session: Session, incident: Incident, problem: Problem, actor: Actor, now: datetime
) -> None:
    if problem.customer_id != incident.customer_id:
        raise ServiceError("other_customer", ref=incident.ref)
    if incident.problem_id == problem.id:
        raise ServiceError("already_linked", ref=incident.ref, problem=problem.ref)
    incident.problem_id = problem.id
    record(session, incident, "problem_linked", actor=actor, now=now, problem=problem.ref)


def _open_rca_problem(session: Session, incident: Incident, policy: Policy, now: datetime) -> None:
    rules = policy.doc.problems
    if rules is None or incident.priority not in rules.rca_priorities or incident.problem_id:
        return
    problem = open_problem(
        session=session,
        customer_id=incident.customer_id,
        title=f"RCA {incident.ref}",
        rca_required=True,
        now=now,
    )
    link_problem(session=session, incident=incident, problem=problem, actor=SYSTEM, now=now)


def open_incidents(session: Session, customer_id: str) -> list[Incident]:
    query = (
        select(Incident)
        .where(Incident.customer_id == customer_id)
        .where(col(Incident.status).in_([s.value for s in OPEN_STATUSES]))
        .order_by(col(Incident.reported_at))
    )
    return list(session.exec(query))


def find_incident(session: Session, ref: str) -> Incident | None:
    return session.exec(select(Incident).where(Incident.ref == ref.strip().upper())).first()
