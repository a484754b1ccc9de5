"""Availability per calendar month, and the money and rights the contracts attach to it.

Availability = (measured time - downtime in it) / measured time, per calendar month in the
policy's time zone (Pluvo 4.2 spells the formula out). What is measured is the target's window:

- ``24x7``: the whole month (Plek 2.4.2; Klik 1.2);
- ``office``: the office hours of working days (Pluvo 4.2; Infravision 3.1 inside support hours);
- ``outside_office``: the rest of the month (Infravision 3.1, 95 % outside support hours);

less the policy's excluded weekly windows and, where it says so, the planned maintenance staff
recorded (Pluvo 4.2; a window announced only after it began is not planned). A weekly window
marked ``announced`` is left out only where recorded planned maintenance lies in it: Klik leaves
out its Friday and weekday 22:00-24:00 windows "mits tijdig aangekondigd" (1.1, 2.1), and counts
urgent maintenance told only afterwards (4.5) as downtime like any outage. Downtime is the
union of the outages incidents record (:mod:`sla.outages`), so two incidents about one outage
count it once; inside a month it is cut to the measured time. A month still running is measured
up to ``now`` (``to_date``).

An interruption (Infravision 3.1, at most 3 a month) is one stretch of that union, counted in the
month it starts.

Rights, each with the months and figures that support it:

- a credit (Plek 6.3: 1 % of the monthly fee) for each month below its threshold, to be claimed
  within the policy's ``claim_within`` (or ``claim_within_months``) after the month ends;
- a review (Pluvo 7.2) or termination (Plek 6.3, Pluvo 7.2.1) right after ``consecutive_months``
  months in a row below the threshold. Plek's exception: two months in the run that one incident
  spans (it starts in the first and ends in the second, the contract's own definition) count as
  one month; each month joins at most one such pair, taken from the earliest;
- a review (Pluvo 7.2) when more than ``missed_targets_more_than`` response or resolution times
  were missed among the incidents reported in the report's period (the report the customer asks
  for, Pluvo 7.1; an incident that misses both counts twice).

Thresholds are compared with the first availability target's figure ("below 98.9 %": strictly).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from sla.clock import clock_for
from sla.maintenance import maintenance_windows, planned
from sla.models import Customer, MaintenanceWindow
from sla.outages import Outage, outages
from sla.policy import Policy
from sla.policy_schema import Availability, Consequence, Credit
from sla.report_incidents import evaluate_between, missed_targets
from sla.report_period import Month, Period
from sla.reports import clip
from sla.service import policy_of
from sla.spans import Span, clipped, merged, minus, overlap, total, weekly_spans

WindowName = Literal["24x7", "office", "outside_office"]


PLACES = 10_000  # availability figures have four decimals


class NoAvailability(LookupError):
    """The customer's contract promises no availability (Perplex)."""


@dataclass(frozen=True)
class WindowFigure:
    window: WindowName
    target: float
    aimed: float | None
    measured: float  # seconds
    down: float  # seconds of downtime inside the measured time
    excluded: float  # seconds of the window left out (maintenance)

    @property
    def percent(self) -> float | None:
        """Rounded down to four decimals, computed exactly: a figure just below a threshold
        never reads as the threshold itself ("98.9 % is below 98.9 %"), and one exactly at it
        is not pushed below by floating-point error."""
        if self.measured <= 0:
            return None
        exact = 100 * (Fraction(self.measured) - Fraction(self.down)) / Fraction(self.measured)
        return float(Fraction(math.floor(exact * PLACES), PLACES))

    @property
    def met(self) -> bool | None:
        percent = self.percent
        return None if percent is None else percent >= self.target


@dataclass(frozen=True)
class MonthFigure:
    month: Month
    start: datetime
    end: datetime  # exclusive; ``now`` while the month runs
    to_date: bool
    windows: tuple[WindowFigure, ...]
    interruptions: int
    outages: tuple[str, ...]  # refs of the incidents whose outage overlaps the month
    missed_targets: int  # response and resolution times missed by incidents reported in it

    @property
    def percent(self) -> float | None:
        """The figure the contract's thresholds are compared with: the first target's."""
        return self.windows[0].percent


RightKind = Literal["credit", "review", "termination"]


@dataclass(frozen=True)
class Right:
    """A credit, review or termination right, with the figures that support it."""

    kind: RightKind
    month: Month  # the month in which it arises
    clause: str | None
    basis: Literal["availability", "missed_targets"]
    below: float | None = None
    months: tuple[Month, ...] = ()
    percents: tuple[float | None, ...] = ()
    excepted: tuple[tuple[Month, Month, str], ...] = ()  # pairs counted as one month, with ref
    counted_months: int | None = None
    credit_percent: float | None = None
    claim_by: datetime | None = None
    missed_targets: int | None = None
    provisional: bool = False  # a month that supports it is still running


@dataclass(frozen=True)
class AvailabilityReport:
    customer_id: str
    customer_name: str
    policy: str
    period: Period
    start: datetime
    end: datetime
    to_date: bool
    generated_at: datetime
    max_interruptions: int | None
    months: tuple[MonthFigure, ...]
    outages: tuple[Outage, ...]
    maintenance: tuple[MaintenanceWindow, ...]
    rights: tuple[Right, ...]
    missed_targets: int


def availability_report(
    session: Session, customer: Customer, period: Period, now: datetime
) -> AvailabilityReport:
    """Availability of one customer per month of ``period`` as of ``now``, with its rights."""
    policy = policy_of(customer)
    rules = policy.doc.availability
    if rules is None:
        raise NoAvailability(policy.id)
    tz = ZoneInfo(policy.doc.calendar.timezone)
    start, end, to_date = clip(period, tz, now)
    lookback = 2 * max(
        (c.consecutive_months for c in (rules.review, rules.termination) if c), default=0
    )
    months = [m for m in _months(period.first.back(lookback), period.last) if m.start(tz) < now]
    first_start = months[0].start(tz)
    found = outages(session, customer, first_start, end, now)
    windows = maintenance_windows(session, customer.id, start=first_start, end=end)
    results = evaluate_between(session, customer, start, end, now)
    misses: Counter[Month] = Counter()
    for result in results:
        misses[Month.of(result.reported_at, tz)] += missed_targets([result])
    figures = {
        m: _month_figure(policy, rules, m, tz, now, found, windows, misses[m]) for m in months
    }
    in_period = set(period.months())
    missed = missed_targets(results)
    return AvailabilityReport(
        customer.id,
        customer.name,
        policy.id,
        period,
        start,
        end,
        to_date,
        now,
        rules.max_interruptions_per_month,
        tuple(f for m, f in figures.items() if m in in_period),
        tuple(o for o in found if o.started_at < end and o.end_or(now) > start),
        tuple(w for w in windows if w.starts_at < end and w.ends_at > start),
        _rights(rules, figures, period, found, tz, now, missed),
        missed,
    )


def _months(first: Month, last: Month) -> list[Month]:
    found = [first]
    while found[-1] < last:
        found.append(found[-1].next())
    return found


def _month_figure(
    policy: Policy,
    rules: Availability,
    month: Month,
    tz: ZoneInfo,
    now: datetime,
    found: Sequence[Outage],
    windows: Sequence[MaintenanceWindow],
    missed: int,
) -> MonthFigure:
    calendar = clock_for(policy).calendar
    month_start, month_end = month.start(tz), month.end(tz)
    end = min(month_end, now.astimezone(tz))
    lo, hi = month_start.timestamp(), end.timestamp()
    named = policy.doc.calendar.windows
    announced = merged(
        (w.starts_at.timestamp(), w.ends_at.timestamp()) for w in windows if planned(w)
    )
    cuts: list[Span] = []
    for name in rules.exclude_windows:
        spans = merged(weekly_spans(named[name], tz, lo, hi))
        # A window left out "when announced" (Klik 2.1) only where announced maintenance lies.
        cuts += overlap(spans, announced) if named[name].announced else spans
    if rules.exclude_planned_maintenance:
        cuts += announced
    excluded = merged(clipped(cuts, lo, hi))
    down = merged((o.started_at.timestamp(), o.end_or(now).timestamp()) for o in found)
    office = list(calendar.stretches_ts(lo, hi))
    bases: dict[WindowName, list[Span]] = {
        "24x7": [(lo, hi)] if hi > lo else [],
        "office": office,
        "outside_office": minus([(lo, hi)], office) if hi > lo else [],
    }
    figures = []
    for target in rules.targets:
        base = bases[target.window]
        measured = minus(base, excluded)
        figures.append(
            WindowFigure(
                target.window,
                target.percent,
                target.aimed,
                total(measured),
                total(overlap(measured, down)),
                total(base) - total(measured),
            )
        )
    month_lo, month_hi = lo, month_end.timestamp()
    interruptions = sum(1 for s, _e in down if month_lo <= s < month_hi)
    refs = tuple(o.ref for o in found if o.started_at < month_end and o.end_or(now) > month_start)
    return MonthFigure(
        month, month_start, end, month_end > now, tuple(figures), interruptions, refs, missed
    )


def _rights(
    rules: Availability,
    figures: dict[Month, MonthFigure],
    period: Period,
    found: Sequence[Outage],
    tz: ZoneInfo,
    now: datetime,
    missed: int,
) -> tuple[Right, ...]:
    in_period = [m for m in period.months() if m in figures]
    rights: list[Right] = []
    for credit in rules.credits:
        for month in in_period:
            figure = figures[month]
            if figure.percent is not None and figure.percent < credit.below:
                claim_by = _claim_by(credit, month, tz)
                rights.append(
                    Right(
                        "credit",
                        month,
                        credit.clause,
                        "availability",
                        below=credit.below,
                        months=(month,),
                        percents=(figure.percent,),
                        credit_percent=credit.credit_percent,
                        claim_by=claim_by,
                        provisional=figure.to_date,
                    )
                )
    consequences: list[tuple[RightKind, Consequence | None]] = [
        ("review", rules.review),
        ("termination", rules.termination),
    ]
    for kind, rule in consequences:
        if rule is None:
            continue
        rights += _runs(kind, rule, figures, in_period, found, tz, now)
        if rule.missed_targets_more_than is not None and missed > rule.missed_targets_more_than:
            rights.append(
                Right(
                    kind,
                    in_period[-1],
                    rule.clause,
                    "missed_targets",
                    months=tuple(in_period),
                    missed_targets=missed,
                    provisional=figures[in_period[-1]].to_date,
                )
            )
    order = ("credit", "review", "termination")
    return tuple(sorted(rights, key=lambda r: (r.month, order.index(r.kind))))


def _claim_by(credit: Credit, month: Month, tz: ZoneInfo) -> datetime | None:
    """The first instant too late to claim the credit of ``month``."""
    if credit.claim_within_months is not None:
        return month.back(-1 - credit.claim_within_months).start(tz)
    if credit.claim_within is not None:
        return month.end(tz) + credit.claim_within
    return None


def _runs(
    kind: RightKind,
    rule: Consequence,
    figures: dict[Month, MonthFigure],
    in_period: Sequence[Month],
    found: Sequence[Outage],
    tz: ZoneInfo,
    now: datetime,
) -> list[Right]:
    """Runs of consecutive months below ``rule.below`` that reach ``consecutive_months``."""
    runs: list[list[Month]] = [[]]
    for month in sorted(figures):  # consecutive months, the look-back included
        percent = figures[month].percent
        if percent is not None and percent < rule.below:
            runs[-1].append(month)
        elif runs[-1]:
            runs.append([])
    rights = []
    for run in runs:
        if set(run) & set(in_period):
            right = _run_right(kind, rule, run, figures, found, tz, now)
            if right is not None:
                rights.append(right)
    return rights


def _run_right(
    kind: RightKind,
    rule: Consequence,
    run: Sequence[Month],
    figures: dict[Month, MonthFigure],
    found: Sequence[Outage],
    tz: ZoneInfo,
    now: datetime,
) -> Right | None:
    count = 0
    arises: Month | None = None
    excepted: list[tuple[Month, Month, str]] = []
    paired: set[Month] = set()
    for index, month in enumerate(run):
        ref = None
        if rule.unless_single_incident_spans_two and index and run[index - 1] not in paired:
            ref = _spanning(found, run[index - 1], month, tz, now)
        if ref is not None:
            excepted.append((run[index - 1], month, ref))
            paired |= {run[index - 1], month}
        else:
            count += 1
        if arises is None and count >= rule.consecutive_months:
            arises = month
    if arises is None:
        return None
    return Right(
        kind,
        arises,
        rule.clause,
        "availability",
        below=rule.below,
        months=tuple(run),
        percents=tuple(figures[m].percent for m in run),
        excepted=tuple(excepted),
        counted_months=count,
        provisional=any(figures[m].to_date for m in run),
    )


def _spanning(
    found: Sequence[Outage], first: Month, second: Month, tz: ZoneInfo, now: datetime
) -> str | None:
    """An incident whose outage starts in ``first`` and ends in ``second`` (Plek 6.3)."""
    for outage in found:
        if Month.of(outage.started_at, tz) == first and Month.of(outage.end_or(now), tz) == second:
            return outage.ref
    return None
