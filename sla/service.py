"""The incident life cycle. Every change writes an :class:`IncidentEvent` with actor and reason.

Functions take keyword-only ``session`` and ``now`` (the clock is injected) and leave committing
to the caller, so a handler's whole turn is one transaction.

This module files, works and finds incidents, and is where the handlers and the command line
import the service from. The pieces every change uses live in modules of their own and are
importable from here too: the refusals (``sla.service_errors``), the audit trail
(``sla.incident_log``), a customer's policy and tier (``sla.customer_policy``), ref numbers
(``sla.numbering``), deadlines and timers computed again (``sla.deadlines``), waiting on the
customer (``sla.pauses``) and problems (``sla.problems``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from sla.clock import clock_for
from sla.customer_policy import policy_of, tier_of
from sla.deadlines import pauses_of, recompute_deadlines, retime
from sla.incident_log import SYSTEM, Actor, record
from sla.models import OPEN_STATUSES, Contact, Customer, Incident, Staff, Status
from sla.numbering import next_number
from sla.pauses import end_pause, resume, wait_on_customer
from sla.policy import Policy
from sla.problems import link_problem, open_problem, open_rca_problem, record_rca
from sla.service_errors import ServiceError, require_status

__all__ = [
    "SYSTEM",
    "Actor",
    "ServiceError",
    "acknowledge",
    "assign",
    "change_priority",
    "close",
    "escalate",
    "find_incident",
    "inform",
    "link_problem",
    "next_number",
    "open_incident",
    "open_incidents",
    "open_problem",
    "pauses_of",
    "policy_of",
    "recompute_deadlines",
    "record",
    "record_rca",
    "record_root_cause",
    "reopen",
    "resolve",
    "resume",
    "tier_of",
    "wait_on_customer",
]


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
    prefix = incident_prefix(customer)
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
    open_rca_problem(session, incident, policy, now)
    retime(session, incident, now, new=True)
    return incident


def acknowledge(*, session: Session, incident: Incident, actor: Actor, now: datetime) -> None:
    """The first response by support."""
    require_status(incident, *OPEN_STATUSES)
    if incident.acknowledged_at is not None:
        raise ServiceError("already_acknowledged", ref=incident.ref)
    incident.acknowledged_at = now
    if incident.status == Status.OPEN:
        incident.status = Status.ACKNOWLEDGED
    record(session, incident, "acknowledged", actor=actor, now=now)
    retime(session, incident, now)


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
    require_status(incident, *OPEN_STATUSES)
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
    retime(session, incident, now)
    open_rca_problem(session, incident, policy, now)


def assign(
    *, session: Session, incident: Incident, actor: Actor, assignee: Staff, now: datetime
) -> None:
    require_status(incident, *OPEN_STATUSES)
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
    require_status(incident, *OPEN_STATUSES)
    if incident.root_cause_at is not None:
        raise ServiceError("root_cause_known", ref=incident.ref)
    incident.root_cause_at = now
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(session, incident, "root_cause_known", actor=actor, now=now, reason=note)
    retime(session, incident, now)


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
    require_status(incident, *OPEN_STATUSES)
    if not note.strip():
        raise ServiceError("note_required")
    if incident.status == Status.WAITING:
        end_pause(session, incident, now)
        recompute_deadlines(session=session, incident=incident, policy=policy)
    incident.status = Status.RESOLVED
    incident.resolved_at = now
    incident.resolution_note = note
    record(session, incident, "resolved", actor=actor, now=now, reason=note)
    retime(session, incident, now)


def reopen(
    *, session: Session, incident: Incident, actor: Actor, reason: str, now: datetime
) -> None:
    require_status(incident, Status.RESOLVED)
    if not reason.strip():
        raise ServiceError("reason_required")
    incident.status = Status.ACKNOWLEDGED if incident.acknowledged_at else Status.OPEN
    incident.resolved_at = None
    record(session, incident, "reopened", actor=actor, now=now, reason=reason)
    retime(session, incident, now)


def inform(
    *, session: Session, incident: Incident, actor: Actor, message: str, now: datetime
) -> None:
    """Support tells the customer something (Klik 7.6: the reason and a new estimated end)."""
    require_status(incident, *OPEN_STATUSES)
    if not message.strip():
        raise ServiceError("reason_required")
    record(session, incident, "customer_informed", actor=actor, now=now, reason=message)


def close(*, session: Session, incident: Incident, actor: Actor, now: datetime) -> None:
    require_status(incident, Status.RESOLVED)
    incident.status = Status.CLOSED
    incident.closed_at = now
    record(session, incident, "closed", actor=actor, now=now)
    retime(session, incident, now)


def incident_prefix(customer: Customer) -> str:
    """The prefix of the customer's incident refs: its own, else its policy's (``PLEK``)."""
    return customer.incident_prefix or policy_of(customer).doc.incident_prefix


def may_escalate(policy: Policy, contact: Contact, incident: Incident) -> bool:
    """Whether a contact may escalate the incident: the one they reported, or any of their
    customer's when their role is one the contract names for it (Plek's Beheerder, 6.2)."""
    rules = policy.doc.escalation
    if not rules.contacts_may_escalate:
        return False
    return contact.id == incident.reporter_id or not set(contact.roles).isdisjoint(rules.started_by)


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
    require_status(incident, *OPEN_STATUSES)
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
