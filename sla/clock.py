"""Deadline arithmetic: when a response or a resolution is due under a policy.

The rules (``sla-seeds.md``): a deadline is the earliest instant at which the elapsed clock time
reaches the target; the office clock counts only office time, the 24x7 clock all (real) time;
N workdays are N times the calendar's working day on the office clock; the in/out-of-hours
variant is decided by the report time alone; a clock starts at the report unless the target names
another start event (the root cause being known); paused stretches add no elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from sla.calendar import BusinessCalendar
from sla.clock_results import (
    NO_DEADLINE,
    Deadline,
    DeadlineDraft,
    Deadlines,
    Rule,
    TargetName,
    new_deadline,
    new_deadlines,
)
from sla.policy import Kind, Policy
from sla.policy_schema import Target

__all__ = [
    "NO_DEADLINE",
    "Deadline",
    "Deadlines",
    "Pause",
    "Rule",
    "SlaClock",
    "TargetName",
    "TierNotAllowed",
    "as_timedelta",
    "clock_for",
    "merge_pauses",
]

Pause = tuple[datetime, datetime]


class TierNotAllowed(ValueError):
    """The customer's tier may not use this priority (Perplex Prio1 is First Class only)."""


_Start = tuple[float, datetime, bool, float]
_Span = tuple[float, float]
_Plan = tuple[Rule, Rule, bool]
_MEMO_SIZE = 20_000  # local deadlines kept per clock: about 2 MB when full
_fromtimestamp = datetime.fromtimestamp


def _plan(response: Rule, resolution: Rule) -> tuple[Rule, Rule, bool]:
    return response, resolution, "root_cause" in (response.start, resolution.start)


def _resolve(target: Target | None, inside: bool, parent: Target | None = None) -> Rule:
    if target is None:
        return NO_DEADLINE
    if target.inside is not None and target.outside is not None:
        chosen = target.inside if inside else target.outside
        rule = _resolve(chosen, inside, target)
        return _with_variant(rule, "inside" if inside else "outside")
    clock = target.clock or (parent.clock if parent else None) or "office"
    start = target.start or (parent.start if parent else None) or "report"
    clause = target.clause or (parent.clause if parent else None)
    note = target.note or (parent.note if parent else None)
    if target.none:
        # No deadline, but the clock still starts at the named event (reports show it).
        return Rule("none", 0.0, "office", start, clause, note, None, None)
    if target.next_workday_close:
        return Rule("next_workday_close", 0.0, "office", start, clause, note, None, None)
    if target.workdays is not None:
        # The length of a working day is the calendar's; filled in by SlaClock.
        workdays = target.workdays
        return Rule("duration", -workdays, "office", start, clause, note, None, workdays)
    assert target.within is not None
    return Rule("duration", target.within.total_seconds(), clock, start, clause, note, None, None)


def _with_variant(rule: Rule, variant: Literal["inside", "outside"]) -> Rule:
    return Rule(
        rule.kind,
        rule.seconds,
        rule.clock,
        rule.start,
        rule.clause,
        rule.note,
        variant,
        rule.workdays,
    )


def merge_pauses(paused: Iterable[Pause]) -> list[tuple[float, float]]:
    """Pauses as sorted, non-overlapping epoch stretches; raises on a pause that ends first."""
    spans = []
    for begin, end in paused:
        if begin.tzinfo is None or end.tzinfo is None:
            raise ValueError("pause times must carry a time zone")
        if end <= begin:
            raise ValueError(f"pause {begin.isoformat()}/{end.isoformat()} ends before it starts")
        spans.append((begin.timestamp(), end.timestamp()))
    spans.sort()
    merged: list[tuple[float, float]] = []
    for begin_ts, end_ts in spans:
        if merged and begin_ts <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_ts))
        else:
            merged.append((begin_ts, end_ts))
    return merged


class SlaClock:
    """Computes deadlines for one policy. Build once per policy (see :func:`clock_for`).

    :meth:`deadlines` is called for every report, re-prioritisation, card and timer plan, so its
    common case (no pauses) is kept short: rules are resolved per priority up front, the report
    is located in the calendar once (the root cause only when a clock starts there), and an
    office-clock deadline is one more search, or a look-up when its clock starts while the office
    is closed (:meth:`_remember`).
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.calendar = BusinessCalendar(policy.doc.calendar)
        self.pausable = frozenset(policy.doc.pause.clocks)
        self._policy_id = policy.id
        self._tz = self.calendar.tz
        self._rules: dict[tuple[str, bool], tuple[Rule, Rule]] = {}
        # By exact key: the kind and its plans, [0] outside office hours, [1] inside: the
        # (response, resolution) rules and whether either clock starts at the root cause.
        self._plans: dict[str, tuple[Kind, tuple[_Plan, _Plan]]] = {}
        for key, kind in policy.kinds.items():
            for inside in (True, False):
                self._rules[key, inside] = (
                    self._concrete(_resolve(kind.response, inside)),
                    self._concrete(_resolve(kind.resolution, inside)),
                )
            self._plans[key] = (
                kind,
                (_plan(*self._rules[key, False]), _plan(*self._rules[key, True])),
            )
        self._locate = self.calendar.locate_ts
        self._at_reading = self.calendar.at_reading_ts
        self._due_from_closed: dict[float, datetime] = {}  # see _remember

    def _concrete(self, rule: Rule) -> Rule:
        if rule.workdays is None:
            return rule
        seconds = rule.workdays * self.calendar.workday_seconds
        return Rule(
            rule.kind,
            seconds,
            rule.clock,
            rule.start,
            rule.clause,
            rule.note,
            rule.variant,
            rule.workdays,
        )

    def rules(self, kind: Kind, *, inside_office_hours: bool) -> tuple[Rule, Rule]:
        """The (response, resolution) rules for a report of this kind."""
        return self._rules[kind.id, inside_office_hours]

    def check_tier(self, kind: Kind, tier: str | None) -> None:
        if tier is None:
            return
        if tier not in self.policy.doc.tiers:
            known = ", ".join(self.policy.doc.tiers) or "none"
            raise TierNotAllowed(f"policy {self.policy.id} has no tier {tier!r} (tiers: {known})")
        if kind.tiers is not None and tier not in kind.tiers:
            raise TierNotAllowed(
                f"{kind.id} under {self.policy.id} is only for tier {', '.join(kind.tiers)}, "
                f"not {tier}"
            )

    def deadlines(
        self,
        key: str,
        *,
        reported_at: datetime,
        root_cause_at: datetime | None = None,
        paused: Sequence[Pause] = (),
        tier: str | None = None,
    ) -> Deadlines:
        """Response and resolution deadlines of a report of ``key`` (priority or request type)."""
        try:
            kind, plans = self._plans[key]
        except KeyError:  # forgives case and -/_, or raises KeyError
            kind, plans = self._plans[self.policy.kind(key).id]
        if tier is not None:
            self.check_tier(kind, tier)
        if reported_at.tzinfo is None:
            _naive(reported_at)
        reported_ts = reported_at.timestamp()
        inside, reading = self._locate(reported_ts)
        response, resolution, needs_root = plans[inside]
        report = (reported_ts, _fromtimestamp(reported_ts, self._tz), inside, reading)
        root = None
        if root_cause_at is not None:
            if root_cause_at.tzinfo is None:
                _naive(root_cause_at)
            if needs_root:
                root_ts = root_cause_at.timestamp()
                if root_ts == reported_ts:  # known at once: the same start
                    root = report
                else:
                    root_inside, root_reading = self._locate(root_ts)
                    root = (root_ts, _fromtimestamp(root_ts, self._tz), root_inside, root_reading)
        if paused:
            pauses = merge_pauses(paused)
            return new_deadlines(
                self._policy_id,
                kind.id,
                report[1],
                inside,
                self._paused("response", response, report, root, pauses),
                self._paused("resolution", resolution, report, root, pauses),
            )
        return new_deadlines(
            self._policy_id,
            kind.id,
            report[1],
            inside,
            self._deadline("response", response, report if response.start == "report" else root),
            self._deadline(
                "resolution", resolution, report if resolution.start == "report" else root
            ),
        )

    def _deadline(self, name: TargetName, rule: Rule, start: _Start | None) -> Deadline:
        """One deadline without pauses, its clock started at ``start`` (None: not yet)."""
        started = due = None
        if start is not None:
            start_ts, started, inside, reading = start
            kind = rule.kind
            if kind == "duration":
                if rule.clock != "office":
                    due = _fromtimestamp(start_ts + rule.seconds, self._tz)
                elif inside:
                    due = _fromtimestamp(self._at_reading(reading + rule.seconds), self._tz)
                else:
                    due = self._due_from_closed.get(reading + rule.seconds)
                    if due is None:
                        due = self._remember(reading + rule.seconds)
            elif kind == "next_workday_close":
                due = _fromtimestamp(self.calendar.close_of_next_workday_ts(start_ts), self._tz)
        deadline = DeadlineDraft()  # new_deadline(name, rule, started, due), spelled out
        deadline.name = name
        deadline.rule = rule
        deadline.started_at = started
        deadline.due = due
        deadline.__class__ = Deadline  # type: ignore[assignment]
        return deadline  # type: ignore[return-value]

    def _remember(self, reading: float) -> datetime:
        """The local time at which the office clock reads ``reading``, kept for next time.

        Only for clocks that start while the office is closed: such a clock reads what it read
        at the last closing, so its office deadline is one per opening and target (a few thousand
        values a year), whatever the report time. Reports at night, at weekends and on holidays
        then need neither the search nor the zone conversion. Readings stay valid for the life
        of the calendar, so an entry never goes stale; the memo is emptied when it is full.
        """
        memo = self._due_from_closed
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        due = memo[reading] = _fromtimestamp(self._at_reading(reading), self._tz)
        return due

    def _paused(
        self,
        name: TargetName,
        rule: Rule,
        report: _Start,
        root: _Start | None,
        pauses: Sequence[_Span],
    ) -> Deadline:
        """One deadline, paused stretches skipped if the policy pauses this clock."""
        start = report if rule.start == "report" else root
        if start is None:
            return new_deadline(name, rule, None, None)
        if rule.kind == "none":
            return new_deadline(name, rule, start[1], None)
        if name not in self.pausable:
            return self._deadline(name, rule, start)
        return new_deadline(
            name, rule, start[1], _fromtimestamp(self.due_ts(rule, start[0], pauses), self._tz)
        )

    def amount(self, rule: Rule, start_ts: float) -> float:
        """The clock time the rule allows, in seconds, for a clock started at ``start_ts``."""
        if rule.kind == "next_workday_close":
            cal = self.calendar
            return cal.office_seconds_ts(start_ts, cal.close_of_next_workday_ts(start_ts))
        return rule.seconds

    def due_ts(
        self,
        rule: Rule,
        start_ts: float,
        pauses: Sequence[tuple[float, float]] = (),
        fraction: float = 1.0,
    ) -> float:
        """When ``fraction`` of the rule's clock time has elapsed, skipping paused stretches."""
        remaining = self.amount(rule, start_ts) * fraction
        office = rule.clock == "office"
        cal = self.calendar
        current = start_ts
        for begin, end in pauses:
            if end <= current:
                continue
            if begin > current:
                available = cal.office_seconds_ts(current, begin) if office else begin - current
                if available >= remaining:
                    break
                remaining -= available
            current = end
        return cal.add_office_ts(current, remaining) if office else current + remaining

    def elapsed_ts(
        self, rule: Rule, start_ts: float, until_ts: float, pauses: Sequence[tuple[float, float]]
    ) -> float:
        """Clock time elapsed between start and ``until``, paused stretches left out."""
        total = self._measure(rule, start_ts, until_ts)
        for begin, end in pauses:
            lo, hi = max(begin, start_ts), min(end, until_ts)
            if lo < hi:
                total -= self._measure(rule, lo, hi)
        return total

    def _measure(self, rule: Rule, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        return self.calendar.office_seconds_ts(start, end) if rule.office else end - start

    def stretches(
        self, rule: Rule, start_ts: float, due_ts: float, pauses: Sequence[tuple[float, float]]
    ) -> Iterator[tuple[datetime, datetime]]:
        """The stretches of counted time that add up to a deadline, as local times."""
        if rule.office:
            spans: Iterable[tuple[float, float]] = self.calendar.stretches_ts(start_ts, due_ts)
        else:
            spans = [(start_ts, due_ts)] if due_ts > start_ts else []
        for begin, end in spans:
            for piece in _minus(begin, end, pauses):
                yield self.calendar.local(piece[0]), self.calendar.local(piece[1])


def _minus(
    begin: float, end: float, pauses: Sequence[tuple[float, float]]
) -> Iterator[tuple[float, float]]:
    current = begin
    for p_begin, p_end in pauses:
        if p_end <= current or p_begin >= end:
            continue
        if p_begin > current:
            yield current, p_begin
        current = max(current, p_end)
    if current < end:
        yield current, end


def _naive(moment: datetime) -> float:
    raise ValueError(f"{moment.isoformat()} carries no time zone")


@cache
def clock_for(policy: Policy) -> SlaClock:
    return SlaClock(policy)


def as_timedelta(seconds: float) -> timedelta:
    return timedelta(seconds=round(seconds, 6))
