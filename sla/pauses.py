"""Waiting on the customer: the pause that stops the pausable clocks (:func:`wait_on_customer`),
resuming (:func:`resume`), and ending the open pause (:func:`end_pause`, also when resolving).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sla.deadlines import pauses_of, recompute_deadlines, retime
from sla.incident_log import Actor, record
from sla.models import Incident, IncidentPause, Status
from sla.policy import Policy
from sla.service_errors import require_status


def wait_on_customer(
    *,
    session: Session,
    incident: Incident,
    policy: Policy,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> None:
    require_status(incident, Status.OPEN, Status.ACKNOWLEDGED)
    assert incident.id is not None
    session.add(IncidentPause(incident_id=incident.id, started_at=now))
    incident.paused_since = now
    incident.status = Status.WAITING
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(session, incident, "waiting", actor=actor, now=now, reason=reason)
    retime(session, incident, now)


def resume(
    *, session: Session, incident: Incident, policy: Policy, actor: Actor, now: datetime
) -> None:
    require_status(incident, Status.WAITING)
    end_pause(session, incident, now)
    incident.status = Status.ACKNOWLEDGED if incident.acknowledged_at else Status.OPEN
    recompute_deadlines(session=session, incident=incident, policy=policy)
    record(session, incident, "resumed", actor=actor, now=now)
    retime(session, incident, now)


def end_pause(session: Session, incident: Incident, now: datetime) -> None:
    for pause in pauses_of(session, incident):
        if pause.ended_at is None:
            pause.ended_at = now
            session.add(pause)
    incident.paused_since = None
    session.flush()
