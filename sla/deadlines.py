"""An incident's deadlines and timers computed again after a change.

:func:`recompute_deadlines` derives the response and resolution deadlines from the report time,
the root cause and the closed pauses (:func:`pauses_of`); :func:`retime` derives the incident's
timers again (see ``sla.schedule``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from sla.clock import clock_for
from sla.customer_policy import policy_of
from sla.directory import customer_by_id
from sla.models import Incident, IncidentPause
from sla.policy import Policy
from sla.schedule import reschedule

# Built once (building a statement costs more than running it on SQLite).
_PAUSES = (
    select(IncidentPause)
    .where(col(IncidentPause.incident_id) == bindparam("incident_id"))
    .order_by(col(IncidentPause.started_at))
)


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


def retime(session: Session, incident: Incident, now: datetime, *, new: bool = False) -> None:
    """Derive the incident's timers again after a change (see ``sla.schedule``).

    ``new``: the incident was just filed, so it has no timers and no pauses to look up yet.
    """
    customer = customer_by_id(session, incident.customer_id)
    assert customer is not None
    session.add(incident)
    session.flush()
    policy = policy_of(customer)
    reschedule(session=session, incident=incident, policy=policy, now=now, new=new)
