"""Compliance: how many incidents met their response and resolution targets, against the share the
contract promises (Plek 2.2.4 note 1, Infravision 3.2), and how late each miss was.

Each incident's deadlines are computed again with ``sla.clock`` from its report time, its root
cause (a resolution clock that starts there, Infravision 3.2) and its pauses (a pause still
running counts up to ``now``), so re-prioritised and paused incidents are judged as they stand.
An incident belongs to the period it was reported in. Per target it is:

- ``met``: done at or before the deadline (the response is the acknowledgement, or the
  resolution when that came first; the resolution is ``resolved_at``);
- ``missed``: done after the deadline, or not done while the deadline has passed;
- ``pending``: not done, deadline still ahead (left out of the shares);
- ``none``: the target has no deadline (best effort);
- ``not_started``: the clock waits for the root cause, which was never recorded.

A miss says how late it was in real time and on the target's own clock (office time for an
office clock, pauses left out).

Availability, credits and termination rights: :mod:`sla.reports_availability`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from sla.clock import Rule, clock_for, merge_pauses
from sla.models import Customer, Incident, IncidentPause
from sla.policy import Policy
from sla.policy_schema import ComplianceTarget
from sla.report_period import Month, Period
from sla.service import policy_of, tier_of

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


@dataclass(frozen=True)
class Share:
    """Counts of outcomes for one target over a set of incidents."""

    met: int = 0
    missed: int = 0
    pending: int = 0
    none: int = 0
    not_started: int = 0

    @property
    def measured(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return None if not self.measured else 100.0 * self.met / self.measured

    @classmethod
    def of(cls, results: Iterable[TargetResult]) -> Share:
        counts = {"met": 0, "missed": 0, "pending": 0, "none": 0, "not_started": 0}
        for result in results:
            counts[result.status] += 1
        return cls(**counts)


@dataclass(frozen=True)
class KindSummary:
    """The incidents of one priority (or request type) in the period."""

    kind: str
    count: int
    response: Share
    resolution: Share


@dataclass(frozen=True)
class Assessment:
    """One compliance target over one of its periods (a month, or a calendar year)."""

    kinds: tuple[str, ...]
    label: str  # "2026" or "2026-10"
    start: datetime
    end: datetime  # exclusive; ``now`` when the period is still running
    to_date: bool
    target: ComplianceTarget
    response: Share | None  # None when the target does not measure it
    resolution: Share | None
    count: int

    @property
    def verdict(self) -> bool | None:
        """Whether the target is met; None while nothing it measures has an outcome."""
        verdicts = [
            _meets(share, self.target)
            for share in (self.response, self.resolution)
            if share is not None and share.measured
        ]
        return all(verdicts) if verdicts else None


def _meets(share: Share, target: ComplianceTarget) -> bool:
    # met / measured against percent / 100, in integers times 100 to stay exact.
    if target.comparison == "gt":
        return share.met * 100 > target.percent * share.measured
    return share.met * 100 >= target.percent * share.measured


@dataclass(frozen=True)
class Miss:
    result: IncidentResult
    target: TargetResult


@dataclass(frozen=True)
class ComplianceReport:
    customer_id: str
    customer_name: str
    policy: str
    period: Period
    start: datetime
    end: datetime  # exclusive; ``now`` when the period is still running
    to_date: bool
    generated_at: datetime
    kinds: tuple[KindSummary, ...]
    assessments: tuple[Assessment, ...]
    incidents: tuple[IncidentResult, ...]
    misses: tuple[Miss, ...] = field(default=())


class PeriodInFuture(ValueError):
    """The period has not begun yet."""


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


# -- the report ----------------------------------------------------------------------------


def clip(period: Period, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime, bool]:
    """The period's start and (exclusive) end, the end cut at ``now``; raises if it lies ahead."""
    start, end = period.start(tz), period.end(tz)
    if start >= now:
        raise PeriodInFuture(period.label)
    return start, min(end, now.astimezone(tz)), end > now


def usable_priorities(policy: Policy, customer: Customer) -> list[str]:
    """The priorities the customer's tier may use (Perplex Prio1 is First Class only)."""
    tier = tier_of(customer)
    return [
        pid
        for pid, prio in policy.doc.priorities.items()
        if prio.tiers is None or tier in prio.tiers
    ]


def target_groups(
    policy: Policy, customer: Customer
) -> list[tuple[tuple[str, ...], ComplianceTarget]]:
    """Each compliance target with the priorities it covers: a priority's own target, then the
    default for the rest, each alone or, with ``pool_default``, pooled."""
    rules = policy.doc.compliance
    usable = usable_priorities(policy, customer)
    groups: list[tuple[tuple[str, ...], ComplianceTarget]] = [
        ((pid,), rules.priorities[pid])
        for pid in usable
        if pid in rules.priorities and _timed(policy, pid, rules.priorities[pid])
    ]
    rest = tuple(
        pid
        for pid in usable
        if pid not in rules.priorities
        and rules.default is not None
        and _timed(policy, pid, rules.default)
    )
    if rules.default is not None and rest:
        if rules.pool_default:
            groups.append((rest, rules.default))
        else:
            groups += [((pid,), rules.default) for pid in rest]
    return groups


def _timed(policy: Policy, pid: str, target: ComplianceTarget) -> bool:
    """Whether a priority has a deadline the target measures (Plek P3 and P4 have none)."""
    clock = clock_for(policy)
    names = TARGETS if target.measure == "both" else (target.measure,)
    kind = policy.kind(pid)
    return any(
        clock.rules(kind, inside_office_hours=inside)[TARGETS.index(name)].kind != "none"
        for inside in (True, False)
        for name in names
    )


def _units(
    target: ComplianceTarget, period: Period, tz: ZoneInfo, now: datetime
) -> list[tuple[str, datetime, datetime, bool]]:
    """The target's own periods (months or calendar years) that the report period touches."""
    units: list[tuple[str, datetime, datetime, bool]] = []
    if target.period == "year":
        for year in range(period.first.year, period.last.year + 1):
            start, end = Month(year, 1).start(tz), Month(year, 12).end(tz)
            if start < now:
                units.append((str(year), start, min(end, now.astimezone(tz)), end > now))
    else:
        for month in period.months():
            start, end = month.start(tz), month.end(tz)
            if start < now:
                units.append((month.label, start, min(end, now.astimezone(tz)), end > now))
    return units


def compliance_report(
    session: Session, customer: Customer, period: Period, now: datetime
) -> ComplianceReport:
    """Compliance of one customer over ``period`` as of ``now``."""
    policy = policy_of(customer)
    tz = ZoneInfo(policy.doc.calendar.timezone)
    start, end, to_date = clip(period, tz, now)
    groups = target_groups(policy, customer)
    units = {
        (kinds, unit): target
        for kinds, target in groups
        for unit in _units(target, period, tz, now)
    }
    span_start = min([start, *(unit[1] for _kinds, unit in units)])
    span_end = max([end, *(unit[2] for _kinds, unit in units)])
    results = evaluate_between(session, customer, span_start, span_end, now)
    in_period = tuple(r for r in results if start <= r.reported_at < end)
    assessments = tuple(
        _assess(kinds, unit, target, results) for (kinds, unit), target in units.items()
    )
    misses = tuple(
        Miss(r, r.target(name))
        for r in in_period
        for name in TARGETS
        if r.target(name).status == "missed"
    )
    return ComplianceReport(
        customer.id,
        customer.name,
        policy.id,
        period,
        start,
        end,
        to_date,
        now,
        _summaries(policy, customer, in_period),
        assessments,
        in_period,
        misses,
    )


def _summaries(
    policy: Policy, customer: Customer, results: Sequence[IncidentResult]
) -> tuple[KindSummary, ...]:
    """A row per usable priority (also when empty), then per other kind that occurred."""
    order = usable_priorities(policy, customer)
    order += [r.kind for r in results if r.kind not in order]
    order = list(dict.fromkeys(order))
    rows = []
    for kind in order:
        mine = [r for r in results if r.kind == kind]
        rows.append(
            KindSummary(
                kind,
                len(mine),
                Share.of(r.response for r in mine),
                Share.of(r.resolution for r in mine),
            )
        )
    return tuple(rows)


def _assess(
    kinds: tuple[str, ...],
    unit: tuple[str, datetime, datetime, bool],
    target: ComplianceTarget,
    results: Sequence[IncidentResult],
) -> Assessment:
    label, start, end, to_date = unit
    mine = [r for r in results if r.priority in kinds and start <= r.reported_at < end]
    measure = target.measure
    response = Share.of(r.response for r in mine) if measure in ("response", "both") else None
    resolution = Share.of(r.resolution for r in mine) if measure in ("resolution", "both") else None
    return Assessment(kinds, label, start, end, to_date, target, response, resolution, len(mine))


def missed_targets(results: Iterable[IncidentResult]) -> int:
    """How many response and resolution times were missed (an incident can miss both)."""
    return sum(1 for r in results for name in TARGETS if r.target(name).status == "missed")
