"""Outages: the stretches of unavailability that incidents record, and staff's corrections.

An incident whose priority the policy lists in ``availability.down_priorities`` (the service is
down: Plek/Pluvo/Klik P1, Infravision Top) records an outage from its report until its
resolution, or until ``now`` while it lasts, unless its reporter gave an answer the policy lists
in ``availability.up_answers`` (Klik: a data leak is P1 but no outage). Staff can correct either
end (the service went down before anyone reported it), count an incident of another priority, or
leave one out (a cause the contract excludes, e.g. force majeure, Plek 2.4.2); each correction
is an ``outage_corrected`` event in the incident's audit trail, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from sla.models import Customer, Incident, OutageCorrection
from sla.policy import Policy
from sla.service import Actor, ServiceError, policy_of, record

# How long before its report an outage may have begun: earlier is a typing mistake.
EARLIEST = timedelta(days=31)


@dataclass(frozen=True)
class Outage:
    ref: str
    priority: str | None
    started_at: datetime
    ended_at: datetime | None  # None while it lasts
    corrected: bool
    reason: str | None

    def end_or(self, now: datetime) -> datetime:
        return self.ended_at if self.ended_at is not None else max(now, self.started_at)

    def seconds(self, now: datetime) -> float:
        """Its length in real time (timestamps: aware datetimes in one zone subtract as wall
        clocks, which is an hour off across a summer-time change)."""
        return self.end_or(now).timestamp() - self.started_at.timestamp()


def correction_of(session: Session, incident: Incident) -> OutageCorrection | None:
    return None if incident.id is None else session.get(OutageCorrection, incident.id)


def outage_of(
    incident: Incident, correction: OutageCorrection | None, policy: Policy
) -> Outage | None:
    """The outage an incident records after correction, or None when it records none."""
    availability = policy.doc.availability
    down = (
        availability is not None
        and incident.priority in availability.down_priorities
        and not any(
            incident.answers.get(question) in answers
            for question, answers in availability.up_answers.items()
        )
    )
    counts = correction.counts if correction and correction.counts is not None else down
    if not counts:
        return None
    start = (correction.started_at if correction else None) or incident.reported_at
    end = (correction.ended_at if correction else None) or incident.resolved_at
    if end is not None and end <= start:
        end = start
    return Outage(
        incident.ref,
        incident.priority,
        start,
        end,
        correction is not None,
        correction.reason if correction else None,
    )


def outages(
    session: Session, customer: Customer, start: datetime, end: datetime, now: datetime
) -> list[Outage]:
    """The customer's outages that overlap ``[start, end)``, by start."""
    policy = policy_of(customer)
    availability = policy.doc.availability
    down = list(availability.down_priorities) if availability else []
    corrections = {
        c.incident_id: c
        for c in session.exec(
            select(OutageCorrection)
            .join(Incident, col(Incident.id) == col(OutageCorrection.incident_id))
            .where(Incident.customer_id == customer.id)
        )
    }
    query = (
        select(Incident)
        .where(Incident.customer_id == customer.id)
        .where(col(Incident.priority).in_(down) | col(Incident.id).in_(list(corrections)))
        .order_by(col(Incident.reported_at), col(Incident.id))
    )
    found = []
    for incident in session.exec(query):
        outage = outage_of(incident, corrections.get(incident.id or 0), policy)
        if outage is not None and outage.started_at < end and outage.end_or(now) > start:
            found.append(outage)
    return sorted(found, key=lambda o: (o.started_at, o.ref))


def correct_outage(
    *,
    session: Session,
    incident: Incident,
    actor: Actor,
    reason: str,
    now: datetime,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    counts: bool | None = None,
) -> OutageCorrection:
    """Correct the outage ``incident`` records; what is not given stays as it was."""
    if not reason.strip():
        raise ServiceError("reason_required")
    row = correction_of(session, incident)
    assert incident.id is not None
    if row is None:
        row = OutageCorrection(
            incident_id=incident.id, reason=reason, corrected_by=actor.name, corrected_at=now
        )
    start = started_at or row.started_at or incident.reported_at
    end = ended_at or row.ended_at or incident.resolved_at
    if end is not None and end <= start:
        raise ServiceError("outage_ends_before_start", ref=incident.ref)
    for moment in (started_at, ended_at):
        if moment is not None and not incident.reported_at - EARLIEST <= moment <= now:
            raise ServiceError("outage_out_of_range", ref=incident.ref)
    if started_at is not None:
        row.started_at = started_at
    if ended_at is not None:
        row.ended_at = ended_at
    if counts is not None:
        row.counts = counts
    row.reason, row.corrected_by, row.corrected_at = reason, actor.name, now
    session.add(row)
    record(
        session,
        incident,
        "outage_corrected",
        actor=actor,
        now=now,
        reason=reason,
        started_at=_utc(row.started_at),
        ended_at=_utc(row.ended_at),
        counts=row.counts,
    )
    session.flush()
    return row


def _utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, as every time the database holds."""
    return None if moment is None else moment.astimezone(UTC).isoformat()
