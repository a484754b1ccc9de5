"""Deadline arithmetic: when a response or a resolution is due under a policy.

The rules (``sla-seeds.md``): a deadline is the earliest instant at which the elapsed clock time
reaches the target; the office clock counts only office time, the 24x7 clock all (real) time;
N workdays are N times the calendar's working day on the office clock; the in/out-of-hours
variant is decided by the report time alone; a clock starts at the report unless the target names
another start event (the root cause being known); paused stretches add no elapsed time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from sla.calendar import BusinessCalendar
from sla.policy import Kind, Policy
from sla.policy_schema import Localized, Target

Pause = tuple[datetime, datetime]
TargetName = Literal["response", "resolution"]


class TierNotAllowed(ValueError):
    """The customer's tier may not use this priority (Perplex Prio1 is First Class only)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A target made concrete for one report: the variant chosen, the defaults filled in."""

    kind: Literal["none", "duration", "next_workday_close"]
    seconds: float
    clock: Literal["office", "24x7"]
    start: Literal["report", "root_cause"]
    clause: str | None
    note: Localized | None
    variant: Literal["inside", "outside"] | None
    workdays: float | None

    @property
    def office(self) -> bool:
        return self.clock == "office"


NO_DEADLINE = Rule("none", 0.0, "office", "report", None, None, None, None)


@dataclass(frozen=True, slots=True)
class Deadline:
    name: TargetName
    rule: Rule
    started_at: datetime | None
    due: datetime | None


@dataclass(frozen=True, slots=True)
class Deadlines:
    policy: str
    kind: str
    reported_at: datetime
    inside_office_hours: bool
    response: Deadline
    resolution: Deadline

    def as_json(self) -> dict[str, str | None]:
        return {
            "policy": self.policy,
            "priority": self.kind,
            "reported_at": self.reported_at.isoformat(),
            "response_due": _iso(self.response.due),
            "resolution_due": _iso(self.resolution.due),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


_Setter = Callable[[object, object], None]


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[_Setter, ...]:
    """The slot setters of a frozen slots dataclass, in field order (checked against it).

    The ``__init__`` of a frozen dataclass stores every field through ``object.__setattr__``;
    for the three small objects of each :meth:`SlaClock.deadlines` call that cost more than the
    arithmetic. Filling the slots directly builds the same, equally frozen, object twice as fast.
    """
    if tuple(f.name for f in fields(cls)) != names:
        raise TypeError(f"{cls.__name__} fields changed: update its fast constructor")
    return tuple(getattr(cls, name).__set__ for name in names)


_new = object.__new__
# Where a clock starts: epoch seconds, local time, office clock reading.
_Start = tuple[float, datetime, float]
_Span = tuple[float, float]
_NO_PAUSES: tuple[_Span, ...] = ()
# The calendar's local(), without the method call: ``datetime.fromtimestamp(ts, calendar.tz)``.
_fromtimestamp = datetime.fromtimestamp
_DL_NAME, _DL_RULE, _DL_STARTED, _DL_DUE = _slot_setters(
    Deadline, ("name", "rule", "started_at", "due")
)
_DLS_POLICY, _DLS_KIND, _DLS_REPORTED, _DLS_INSIDE, _DLS_RESPONSE, _DLS_RESOLUTION = _slot_setters(
    Deadlines,
    ("policy", "kind", "reported_at", "inside_office_hours", "response", "resolution"),
)


def _new_deadline(
    name: TargetName, rule: Rule, started_at: datetime | None, due: datetime | None
) -> Deadline:
    """``Deadline(name, rule, started_at, due)``, built fast (see :func:`_slot_setters`)."""
    deadline = _new(Deadline)
    _DL_NAME(deadline, name)
    _DL_RULE(deadline, rule)
    _DL_STARTED(deadline, started_at)
    _DL_DUE(deadline, due)
    return deadline


def _new_deadlines(
    policy: str,
    kind: str,
    reported_at: datetime,
    inside: bool,
    response: Deadline,
    resolution: Deadline,
) -> Deadlines:
    """``Deadlines(...)``, built fast (see :func:`_slot_setters`)."""
    result = _new(Deadlines)
    _DLS_POLICY(result, policy)
    _DLS_KIND(result, kind)
    _DLS_REPORTED(result, reported_at)
    _DLS_INSIDE(result, inside)
    _DLS_RESPONSE(result, response)
    _DLS_RESOLUTION(result, resolution)
    return result


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
    is located in the calendar once, and an office-clock deadline is one more search.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.calendar = BusinessCalendar(policy.doc.calendar)
        self.pausable = frozenset(policy.doc.pause.clocks)
        self._policy_id = policy.id
        self._tz = self.calendar.tz
        self._rules: dict[tuple[str, bool], tuple[Rule, Rule]] = {}
        # By exact key: the kind and its (response, resolution) rules, [0] outside, [1] inside.
        self._plans: dict[str, tuple[Kind, tuple[tuple[Rule, Rule], tuple[Rule, Rule]]]] = {}
        for key, kind in policy.kinds.items():
            for inside in (True, False):
                self._rules[key, inside] = (
                    self._concrete(_resolve(kind.response, inside)),
                    self._concrete(_resolve(kind.resolution, inside)),
                )
            self._plans[key] = (kind, (self._rules[key, False], self._rules[key, True]))

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
            kind, rules = self._plans[key]
        except KeyError:  # forgives case and -/_, or raises KeyError
            kind, rules = self._plans[self.policy.kind(key).id]
        if tier is not None:
            self.check_tier(kind, tier)
        if reported_at.tzinfo is None:
            _naive(reported_at)
        reported_ts = reported_at.timestamp()
        inside, reading = self.calendar.locate_ts(reported_ts)
        response, resolution = rules[inside]
        report = (reported_ts, _fromtimestamp(reported_ts, self._tz), reading)
        root = None if root_cause_at is None else self._start(root_cause_at)
        pauses = merge_pauses(paused) if paused else _NO_PAUSES
        return _new_deadlines(
            self._policy_id,
            kind.id,
            report[1],
            inside,
            self._deadline("response", response, report, root, pauses),
            self._deadline("resolution", resolution, report, root, pauses),
        )

    def _start(self, moment: datetime) -> _Start:
        """Where a clock starting at ``moment`` (an aware time) starts."""
        if moment.tzinfo is None:
            _naive(moment)
        ts = moment.timestamp()
        return ts, _fromtimestamp(ts, self._tz), self.calendar.locate_ts(ts)[1]

    def _deadline(
        self,
        name: TargetName,
        rule: Rule,
        report: _Start,
        root: _Start | None,
        pauses: Sequence[_Span],
    ) -> Deadline:
        """One deadline, its clock started at the report or at the root cause (if known)."""
        start = report if rule.start == "report" else root
        if start is None:
            return _new_deadline(name, rule, None, None)
        start_ts, started, reading = start
        kind = rule.kind
        if kind == "none":
            return _new_deadline(name, rule, started, None)
        if pauses and name in self.pausable:
            due = self.due_ts(rule, start_ts, pauses)
        elif kind == "duration":
            # due_ts without pauses, spelled out: nearly every deadline computed is this.
            if rule.clock == "office":
                due = self.calendar.at_reading_ts(reading + rule.seconds)
            else:
                due = start_ts + rule.seconds
        else:  # without pauses, the close of the next workday itself
            due = self.calendar.close_of_next_workday_ts(start_ts)
        return _new_deadline(name, rule, started, _fromtimestamp(due, self._tz))

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
