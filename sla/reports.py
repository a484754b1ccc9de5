"""Compliance: how many incidents met their response and resolution targets, against the share the
contract promises (Plek 2.2.4 note 1, Infravision 3.2), and how late each miss was.

Each incident is judged by :mod:`sla.report_incidents` (deadlines recomputed with pauses and the
root-cause start) and belongs to the period it was reported in. A compliance target is judged over
its own periods (a month, or the calendar year so far), over the priorities it covers: a
priority's own target, or the default for each other priority, or for all of them pooled
(``pool_default``). Pending incidents and targets without a deadline are left out of the shares.

Availability, credits and termination rights: :mod:`sla.reports_availability`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from sla.clock import clock_for
from sla.models import Customer
from sla.policy import Policy
from sla.policy_schema import ComplianceTarget
from sla.report_incidents import TARGETS, IncidentResult, TargetResult, evaluate_between
from sla.report_period import Month, Period
from sla.service import policy_of, tier_of


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
