"""One incident against its response and resolution targets, as of a moment.

Each incident's deadlines are computed again with ``sla.clock`` from its report time, its root
cause (a resolution clock that starts there, Infravision 3.2) and its pauses (a pause still
running counts up to ``now``), so re-prioritised and paused incidents are judged as they stand.
Per target an incident is:

- ``met``: done at or before the deadline (the response is the acknowledgement, or the
  resolution when that came first; the resolution is ``resolved_at``);
- ``missed``: done after the deadline, or not done while the deadline has passed;
- ``pending``: not done, deadline still ahead;
- ``none``: the target has no deadline (best effort);
- ``not_started``: the clock waits for the root cause, which was never recorded.

A miss says how late it was in real time and on the target's own clock (office time for an
office clock, pauses left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from sla.clock import Rule, clock_for, merge_pauses
from sla.models import Customer, Incident, IncidentPause
from sla.policy import Policy
from sla.service import policy_of

TargetName = Literal["response", "resolution"]
TARGETS: tuple[TargetName, TargetName] = ("response", "resolution")
OutcomeStatus = Literal["met", "missed", "pending", "none", "not_started"]


@dataclass(frozen=True)
class TargetResult:
    """One incident against one of its targets."""

    name: TargetName
    status: OutcomeStatus
    clock: Literal["office", "24x7"] | None = None
    started_at: datetime | None = None
    due: datetime | None = None
    done_at: datetime | None = None
    late_real: float | None = None  # seconds from the deadline to done (or now), when missed
    late_clock: float | None = None  # seconds over the target on its own clock, when missed


@dataclass(frozen=True)
class IncidentResult:
    ref: str
    kind: str  # the priority, or the request type of an incident without one
    priority: str | None
    reported_at: datetime
    status: str
    response: TargetResult
    resolution: TargetResult

    def target(self, name: TargetName) -> TargetResult:
        return self.response if name == "response" else self.resolution


# -- one incident ---------------------------------------------------------------------------


def evaluate(
    incident: Incident, pauses: Sequence[IncidentPause], policy: Policy, now: datetime
) -> IncidentResult:
    """The incident against its response and resolution targets as of ``now``."""
    clock = clock_for(policy)
    kind = policy.kind(incident.priority or incident.request_type)
    reported_ts = incident.reported_at.timestamp()
    rules = clock.rules(kind, inside_office_hours=clock.calendar.is_open_ts(reported_ts))
    now_ts = now.timestamp()
    stretches = [
        (p.started_at, p.ended_at or now)
        for p in pauses
        if (p.ended_at or now) > p.started_at and p.started_at.timestamp() < now_ts
    ]
    spans = merge_pauses(stretches)
    responded = _first(incident.acknowledged_at, incident.resolved_at)
    plan: tuple[tuple[TargetName, Rule, datetime | None], ...] = (
        ("response", rules[0], responded),
        ("resolution", rules[1], incident.resolved_at),
    )
    results = [
        _target(
            name,
            rule,
            incident,
            done,
            spans if name in clock.pausable else [],
            policy,
            now_ts,
        )
        for name, rule, done in plan
    ]
    return IncidentResult(
        incident.ref,
        kind.id,
        incident.priority,
        incident.reported_at.astimezone(clock.calendar.tz),
        incident.status,
        results[0],
        results[1],
    )


def _first(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def _target(
    name: TargetName,
    rule: Rule,
    incident: Incident,
    done: datetime | None,
    spans: Sequence[tuple[float, float]],
    policy: Policy,
    now_ts: float,
) -> TargetResult:
    if rule.kind == "none":
        return TargetResult(name, "none")
    started = incident.reported_at if rule.start == "report" else incident.root_cause_at
    if started is None:
        return TargetResult(name, "not_started", rule.clock)
    clock = clock_for(policy)
    tz = clock.calendar.tz
    start_ts = started.timestamp()
    due_ts = clock.due_ts(rule, start_ts, spans)
    due = datetime.fromtimestamp(due_ts, tz)
    done_local = done.astimezone(tz) if done is not None else None
    until = done.timestamp() if done is not None else now_ts
    if done is not None and until <= due_ts:
        return TargetResult(name, "met", rule.clock, started.astimezone(tz), due, done_local)
    if done is None and now_ts <= due_ts:
        return TargetResult(name, "pending", rule.clock, started.astimezone(tz), due, None)
    late_clock = clock.elapsed_ts(rule, start_ts, until, spans) - clock.amount(rule, start_ts)
    return TargetResult(
        name,
        "missed",
        rule.clock,
        started.astimezone(tz),
        due,
        done_local,
        late_real=until - due_ts,
        late_clock=max(late_clock, 0.0),
    )


# -- loading -------------------------------------------------------------------------------


def incidents_between(
    session: Session, customer_id: str, start: datetime, end: datetime
) -> list[Incident]:
    """The customer's incidents reported in ``[start, end)``, oldest first."""
    query = (
        select(Incident)
        .where(Incident.customer_id == customer_id)
        .where(col(Incident.reported_at) >= start)
        .where(col(Incident.reported_at) < end)
        .order_by(col(Incident.reported_at), col(Incident.id))
    )
    return list(session.exec(query))


def pauses_by_incident(
    session: Session, incidents: Sequence[Incident]
) -> dict[int, list[IncidentPause]]:
    ids = [i.id for i in incidents if i.id is not None]
    found: dict[int, list[IncidentPause]] = {i: [] for i in ids}
    if ids:
        query = select(IncidentPause).where(col(IncidentPause.incident_id).in_(ids))
        for pause in session.exec(query.order_by(col(IncidentPause.started_at))):
            found[pause.incident_id].append(pause)
    return found


def evaluate_between(
    session: Session, customer: Customer, start: datetime, end: datetime, now: datetime
) -> list[IncidentResult]:
    """Every incident reported in ``[start, end)`` judged as of ``now``."""
    policy = policy_of(customer)
    incidents = incidents_between(session, customer.id, start, end)
    pauses = pauses_by_incident(session, incidents)
    return [evaluate(i, pauses.get(i.id or 0, []), policy, now) for i in incidents]


def missed_targets(results: Iterable[IncidentResult]) -> int:
    """How many response and resolution times were missed (an incident can miss both)."""
    return sum(1 for r in results for name in TARGETS if r.target(name).status == "missed")
