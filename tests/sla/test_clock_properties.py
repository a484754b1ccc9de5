"""Property tests: the deadline clock against a deliberately naive minute-by-minute reference.

The reference knows nothing of interval tables. It steps through real time one UTC minute at a
time and asks of each minute "is the office open?" by turning it into Amsterdam wall-clock time
and looking at the weekday, the holidays and the weekly hours; a paused minute counts on no
clock. A deadline is then the first instant at which the counted time reaches the target.

Generated calendars go well beyond the seed contracts (split and uneven days, night and weekend
hours, ranges that touch midnight or the summer-time change, added and removed holidays), so
the arithmetic is checked where real contracts rarely go. Walks stay short: office targets are
bounded by a few working days and times stay within 2024-2029.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar
from sla.clock import SlaClock, merge_pauses
from sla.policy import Policy
from sla.policy_schema import WEEKDAYS, CalendarRules, PolicyDocument

AMS = ZoneInfo("Europe/Amsterdam")
MINUTE = 60
FIRST_YEAR, LAST_YEAR = 2024, 2029

# A deeper search: SLA_PROPERTY_EXAMPLES=5000 pytest tests/sla/test_clock_properties.py
SETTINGS = settings(
    max_examples=int(os.environ.get("SLA_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the reference ----------------------------------------------------------------------------


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass
class Reference:
    """Office hours answered one minute at a time, straight from the calendar rules."""

    hours: dict[str, list[tuple[int, int]]]
    add: set[date]
    remove: set[date]
    _holidays: dict[int, set[date]] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Reference:
        hours = {
            day: [(_minutes(r.split("-")[0]), _minutes(r.split("-")[1])) for r in ranges]
            for day, ranges in raw["office_hours"].items()
        }
        extra = raw.get("holidays", {})
        add = {date.fromisoformat(day) for day in extra.get("add", {})}
        return cls(hours, add, {date.fromisoformat(day) for day in extra.get("remove", ())})

    def holiday(self, day: date) -> bool:
        if day.year not in self._holidays:
            found = holidays_lib.country_holidays("NL", years=day.year, categories=("public",))
            self._holidays[day.year] = set(found)
        return (day in self._holidays[day.year] and day not in self.remove) or day in self.add

    def open(self, ts: float) -> bool:
        """Is the office open during the UTC minute that holds ``ts``?"""
        local = datetime.fromtimestamp(ts, AMS)
        if self.holiday(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        ranges = self.hours.get(WEEKDAYS[local.weekday()], [])
        return any(start <= minute < end for start, end in ranges)

    def counted(self, ts: float, office: bool, pauses: Sequence[tuple[int, int]]) -> bool:
        if any(begin <= ts < end for begin, end in pauses):
            return False
        return self.open(ts) if office else True

    def walk(
        self, start: float, amount: float, office: bool, pauses: Sequence[tuple[int, int]] = ()
    ) -> float:
        """The first instant at which ``amount`` seconds have been counted since ``start``."""
        elapsed = 0.0
        now = start
        edges = sorted({edge for pause in pauses for edge in pause})
        while True:
            # Office hours change only on whole minutes; pauses may start and end anywhere.
            step = min([MINUTE - now % MINUTE] + [e - now for e in edges if e > now])
            if self.counted(now, office, pauses):
                if elapsed + step >= amount:
                    return now + (amount - elapsed)
                elapsed += step
            now += step

    def office_between(self, start: float, end: float) -> float:
        total = 0.0
        now = start
        while now < end:
            step = min(MINUTE - now % MINUTE, end - now)
            if self.open(now):
                total += step
            now += step
        return total

    def next_open(self, ts: float) -> float:
        now = ts
        while not self.open(now):
            now += MINUTE - now % MINUTE
        return now

    def close_of_next_workday(self, ts: float) -> float:
        """Closing time of the workday after the local date of the first office minute."""
        first_day = datetime.fromtimestamp(self.next_open(ts), AMS).date()
        now = self.next_open(ts)
        while datetime.fromtimestamp(now, AMS).date() == first_day or not self.open(now):
            now += MINUTE - now % MINUTE
        next_day = datetime.fromtimestamp(now, AMS).date()
        last_open = now
        while datetime.fromtimestamp(now, AMS).date() == next_day:
            if self.open(now):
                last_open = now
            now += MINUTE - now % MINUTE
        return last_open - last_open % MINUTE + MINUTE

    def day_length(self, raw: dict[str, Any]) -> float:
        if raw.get("workday_length"):
            return float(_minutes(raw["workday_length"].replace("h", ":").rstrip("m")) * 60)
        return float(max(sum(e - s for s, e in r) for r in self.hours.values() if r) * 60)


# -- generated calendars ----------------------------------------------------------------------

NL_HOLIDAYS = sorted(
    day
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
    for day in holidays_lib.country_holidays("NL", years=year, categories=("public",))
)
# The nights the clocks change (local Sunday dates).
DST_SUNDAYS = [
    day
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
    for month in (3, 10)
    for day in [date(year, month, 31) - timedelta(days=(date(year, month, 31).weekday() + 1) % 7)]
]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_ranges(draw: st.DrawFn) -> list[str]:
    """Zero to three ranges of one day: office days, split days, nights, the change night."""
    shape = draw(st.sampled_from(["office", "office", "split", "night", "any", "closed"]))
    if shape == "closed":
        return []
    if shape == "office":
        start = draw(st.integers(7 * 4, 10 * 4)) * 15
        end = draw(st.integers(16 * 4, 19 * 4)) * 15
        return [f"{_hhmm(start)}-{_hhmm(end)}"]
    if shape == "split":
        morning = draw(st.integers(8 * 4, 9 * 4)) * 15
        lunch = draw(st.integers(12 * 4, 13 * 4)) * 15
        back = lunch + draw(st.integers(0, 4)) * 15
        end = draw(st.integers(16 * 4, 18 * 4)) * 15
        return [f"{_hhmm(morning)}-{_hhmm(lunch)}", f"{_hhmm(back)}-{_hhmm(end)}"]
    if shape == "night":
        # Around 02:00-03:00, the hour that is skipped or repeated on a change night.
        start = draw(st.integers(0, 3 * 4)) * 15
        end = draw(st.integers(start // 15 + 1, 4 * 4)) * 15
        late = draw(st.integers(20, 23)) * 60
        return [f"{_hhmm(start)}-{_hhmm(end)}", f"{_hhmm(late)}-24:00"]
    edges = sorted(set(draw(st.lists(st.integers(0, 24 * 12), min_size=2, max_size=6))))
    pairs = [(a * 5, b * 5) for a, b in zip(edges[::2], edges[1::2], strict=False)]
    return [f"{_hhmm(a)}-{_hhmm(b)}" for a, b in pairs]


@st.composite
def calendars(draw: st.DrawFn, around: date) -> dict[str, Any]:
    """Raw calendar rules (as a policy file would say them) with holidays near ``around``."""
    hours = {day: draw(day_ranges()) for day in WEEKDAYS}
    if not any(hours.values()):
        hours["mon"] = ["09:00-17:00"]
    lengths = {sum(_minutes(r[6:]) - _minutes(r[:5]) for r in ranges) for ranges in hours.values()}
    lengths.discard(0)
    raw: dict[str, Any] = {"timezone": "Europe/Amsterdam", "office_hours": hours}
    if len(lengths) > 1 or draw(st.booleans()):
        length = draw(st.integers(min(lengths), max(lengths)))
        raw["workday_length"] = f"{length // 60}h{length % 60}m"
    near = [around + timedelta(days=n) for n in range(-3, 15)]
    nearby_holidays = [d for d in NL_HOLIDAYS if abs((d - around).days) < 30] or NL_HOLIDAYS[:3]
    added = draw(st.lists(st.sampled_from(near), max_size=3))
    removed = draw(st.lists(st.sampled_from(nearby_holidays), max_size=2))
    raw["holidays"] = {
        "country": "NL",
        "categories": ["public"],
        "add": {day.isoformat(): "Company day" for day in added},
        "remove": [day.isoformat() for day in removed],
    }
    return raw


@st.composite
def report_days(draw: st.DrawFn) -> date:
    kind = draw(st.sampled_from(["any", "holiday", "change"]))
    if kind == "holiday":
        return draw(st.sampled_from(NL_HOLIDAYS)) + timedelta(days=draw(st.integers(-2, 1)))
    if kind == "change":
        return draw(st.sampled_from(DST_SUNDAYS)) + timedelta(days=draw(st.integers(-1, 0)))
    return draw(st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)))


@st.composite
def moments(draw: st.DrawFn, day: date, raw: dict[str, Any]) -> int:
    """A UTC epoch second on or near ``day``: any minute, an office edge, midnight, or 01:00 UTC."""
    kind = draw(st.sampled_from(["minute", "edge", "edge", "midnight", "change", "second"]))
    midnight = datetime(day.year, day.month, day.day, tzinfo=AMS)
    if kind == "edge":
        ranges = raw["office_hours"][WEEKDAYS[day.weekday()]] or ["09:00-17:00"]
        edge = _minutes(draw(st.sampled_from(ranges)).split("-")[draw(st.integers(0, 1))])
        local = midnight + timedelta(minutes=edge + draw(st.sampled_from([-1, 0, 0, 0, 1])))
        return int(local.timestamp())
    if kind == "midnight":
        return int(midnight.timestamp()) + draw(st.sampled_from([-60, 0, 60]))
    if kind == "change":
        # Summer time starts and ends at 01:00 UTC on the last Sundays of March and October.
        utc = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
        return int(utc.timestamp()) + draw(st.sampled_from([-3600, -60, 0, 60, 1800, 3600]))
    start = int(midnight.timestamp())
    if kind == "second":
        return start + draw(st.integers(0, 86400 - 1))
    return start + draw(st.integers(0, 24 * 60 - 1)) * MINUTE


def aware(ts: float, zone: str) -> datetime:
    return datetime.fromtimestamp(ts, AMS if zone == "ams" else UTC)


@st.composite
def pause_lists(draw: st.DrawFn, report: int) -> list[tuple[int, int]]:
    """Whole-minute pauses around the report, overlapping and touching one another at times."""
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        begin = report + draw(st.integers(-24 * 60, 4 * 24 * 60)) * MINUTE
        pauses.append((begin, begin + draw(st.integers(1, 2 * 24 * 60)) * MINUTE))
    return pauses


# -- generated targets and policies -------------------------------------------------------------


@st.composite
def plain_targets(draw: st.DrawFn, week_minutes: int, inherit: bool = False) -> dict[str, Any]:
    kind = draw(st.sampled_from(["none", "office", "24x7", "workdays", "next_workday_close"]))
    target: dict[str, Any]
    if kind == "none":
        target = {"none": True}
    elif kind == "workdays":
        target = {"workdays": draw(st.sampled_from([0.5, 1, 1, 2, 3]))}
    elif kind == "next_workday_close":
        target = {"next_workday_close": True}
    else:
        limit = min(week_minutes, 3 * 24 * 60) if kind == "office" else 3 * 24 * 60
        minutes = draw(st.integers(1, max(limit, 1)))
        target = {"within": f"{minutes}m"}
        if not inherit or draw(st.booleans()):
            target["clock"] = kind
    if (not inherit or draw(st.booleans())) and draw(st.booleans()):
        target["start"] = draw(st.sampled_from(["report", "root_cause"]))
    return target


@st.composite
def targets(draw: st.DrawFn, week_minutes: int) -> dict[str, Any]:
    """A target, or an inside/outside pair whose halves may inherit clock and start."""
    if draw(st.integers(0, 3)) > 0:
        return draw(plain_targets(week_minutes))
    pair: dict[str, Any] = {
        "inside": draw(plain_targets(week_minutes, inherit=True)),
        "outside": draw(plain_targets(week_minutes, inherit=True)),
    }
    if draw(st.booleans()):
        pair["clock"] = draw(st.sampled_from(["office", "24x7"]))
    if draw(st.booleans()):
        pair["start"] = draw(st.sampled_from(["report", "root_cause"]))
    return pair


LABEL = {"nl": "x", "de": "x", "en": "x"}


def policy_of(
    calendar: dict[str, Any], response: dict[str, Any], resolution: dict[str, Any], pause: list[str]
) -> Policy:
    """A minimal valid policy with the one priority ``T``."""
    doc = PolicyDocument.model_validate(
        {
            "id": "generated",
            "name": "Generated",
            "source": {"contract": "generated", "file": "generated.txt", "language": "en"},
            "language": "en",
            "incident_prefix": "GEN",
            "calendar": calendar,
            "roles": {"contact": {"label": LABEL, "may_file": True}},
            "priorities": {
                "T": {
                    "label": LABEL,
                    "description": LABEL,
                    "clause": "1",
                    "response": response,
                    "resolution": resolution,
                }
            },
            "questionnaire": {
                "start": "q",
                "questions": {
                    "q": {
                        "text": LABEL,
                        "answers": [
                            {"id": "a", "label": LABEL, "priority": "T"},
                            {"id": "b", "label": LABEL, "priority": "T"},
                        ],
                    }
                },
            },
            "escalation": {"levels": [{"role": "lead", "label": LABEL}]},
            "pause": {"clocks": pause},
        }
    )
    return Policy(doc)


def week_minutes(raw: dict[str, Any]) -> int:
    return sum(
        _minutes(r[6:]) - _minutes(r[:5]) for ranges in raw["office_hours"].values() for r in ranges
    )


@dataclass
class Case:
    raw: dict[str, Any]
    reported: int
    root: int | None
    pauses: list[tuple[int, int]]
    response: dict[str, Any]
    resolution: dict[str, Any]
    pause_clocks: list[str]
    zone: str


@st.composite
def cases(draw: st.DrawFn) -> Case:
    day = draw(report_days())
    raw = draw(calendars(day))
    reported = draw(moments(day, raw))
    root = None
    if draw(st.booleans()):
        root = (
            reported
            + draw(st.sampled_from([0, 1, 59, 60, 3600, 86400]))
            + draw(st.integers(0, 3 * 24 * 60)) * MINUTE
        )
    week = week_minutes(raw)
    return Case(
        raw,
        reported,
        root,
        draw(pause_lists(reported)),
        draw(targets(week)),
        draw(targets(week)),
        draw(st.sampled_from([["response", "resolution"], ["resolution"], []])),
        draw(st.sampled_from(["ams", "utc"])),
    )


# -- the reference deadline -------------------------------------------------------------------


def expected(
    ref: Reference,
    case: Case,
    target: dict[str, Any],
    pausable: bool,
    inside: bool,
    parent: dict[str, Any] | None = None,
) -> tuple[float | None, float | None]:
    """(started, due) as epoch seconds by the rules of sla-seeds.md, read literally."""
    if "inside" in target:
        chosen = target["inside" if inside else "outside"]
        return expected(ref, case, chosen, pausable, inside, target)
    parent = parent or {}
    start_event = target.get("start") or parent.get("start") or "report"
    started = case.reported if start_event == "report" else case.root
    if started is None or target.get("none"):
        return started, None
    pauses = case.pauses if pausable else []
    if target.get("next_workday_close"):
        amount = ref.office_between(started, ref.close_of_next_workday(started))
        return started, ref.walk(started, amount, True, pauses)
    if "workdays" in target:
        amount = target["workdays"] * ref.day_length(case.raw)
        return started, ref.walk(started, amount, True, pauses)
    clock = target.get("clock") or parent.get("clock") or "office"
    amount = _minutes("0:" + target["within"].rstrip("m")) * 60.0
    return started, ref.walk(started, amount, clock == "office", pauses)


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


# -- properties -------------------------------------------------------------------------------


OFFICE = {day: ["08:30-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
NO_HOLIDAY_CHANGES = {"country": "NL", "categories": ["public"], "add": {}, "remove": []}


@SETTINGS
@given(cases())
# Found by this property: a target with no deadline whose clock starts at the root cause
# reported the report as its start.
@example(
    Case(
        {"timezone": "Europe/Amsterdam", "office_hours": OFFICE, "holidays": NO_HOLIDAY_CHANGES},
        reported=1_704_063_600,
        root=None,
        pauses=[],
        response={"none": True},
        resolution={"inside": {"none": True}, "outside": {"none": True, "start": "root_cause"}},
        pause_clocks=["response", "resolution"],
        zone="ams",
    )
)
# Found by this property: Sunday 00:00-02:15 on the night summer time ends (27 October 2024)
# holds 02:00-02:15 twice; the table counted it once.
@example(
    Case(
        {
            "timezone": "Europe/Amsterdam",
            "office_hours": {**OFFICE, "sun": ["00:00-02:15", "20:00-24:00"]},
            "workday_length": "6h15m",
            "holidays": NO_HOLIDAY_CHANGES,
        },
        reported=1_729_980_000,
        root=None,
        pauses=[],
        response={"within": "1m", "clock": "office"},
        resolution={"workdays": 0.5},
        pause_clocks=["response", "resolution"],
        zone="ams",
    )
)
def test_deadlines_match_the_minute_walk(case: Case) -> None:
    """Both deadlines of a report equal the reference's minute walk, pauses and variants too."""
    policy = policy_of(case.raw, case.response, case.resolution, case.pause_clocks)
    clock = SlaClock(policy)
    ref = Reference.of(case.raw)
    result = clock.deadlines(
        "T",
        reported_at=aware(case.reported, case.zone),
        root_cause_at=None if case.root is None else aware(case.root, case.zone),
        paused=[(aware(b, case.zone), aware(e, "utc")) for b, e in case.pauses],
    )
    inside = ref.open(case.reported)
    assert result.inside_office_hours is inside
    assert result.reported_at.timestamp() == case.reported
    assert result.reported_at.tzinfo == AMS
    for name, target, deadline in (
        ("response", case.response, result.response),
        ("resolution", case.resolution, result.resolution),
    ):
        started, due = expected(ref, case, target, name in case.pause_clocks, inside)
        assert _epoch(deadline.started_at) == started, name
        assert _epoch(deadline.due) == due, name
        if "inside" in target:
            assert deadline.rule.variant == ("inside" if inside else "outside")
        if deadline.due is not None:
            assert deadline.due.tzinfo == AMS


@SETTINGS
@given(cases())
def test_elapsed_time_at_the_deadline_is_the_target(case: Case) -> None:
    """At a deadline the elapsed clock time is exactly the target, and a second earlier less."""
    policy = policy_of(case.raw, case.response, case.resolution, case.pause_clocks)
    clock = SlaClock(policy)
    reported = aware(case.reported, case.zone)
    result = clock.deadlines(
        "T",
        reported_at=reported,
        root_cause_at=None if case.root is None else aware(case.root, "utc"),
        paused=[(aware(b, "utc"), aware(e, "utc")) for b, e in case.pauses],
    )
    pauses = merge_pauses([(aware(b, "utc"), aware(e, "utc")) for b, e in case.pauses])
    for deadline in (result.response, result.resolution):
        if deadline.due is None or deadline.started_at is None:
            continue
        usable = pauses if deadline.name in case.pause_clocks else []
        start, due = deadline.started_at.timestamp(), deadline.due.timestamp()
        amount = clock.amount(deadline.rule, start)
        assert clock.elapsed_ts(deadline.rule, start, due, usable) == amount
        assert clock.elapsed_ts(deadline.rule, start, due - 1, usable) < amount
        # Real seconds: subtracting two datetimes of one zone would give wall-clock time.
        counted = sum(
            end.timestamp() - begin.timestamp()
            for begin, end in clock.stretches(deadline.rule, start, due, usable)
        )
        assert counted == amount


@st.composite
def calendar_cases(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    day = draw(report_days())
    raw = draw(calendars(day))
    start = draw(moments(day, raw))
    end = start + draw(st.integers(0, 6 * 24 * 60)) * MINUTE + draw(st.sampled_from([0, 0, 17]))
    return raw, start, end


@SETTINGS
@given(calendar_cases())
def test_calendar_queries_match_the_minute_walk(sample: tuple[dict[str, Any], int, int]) -> None:
    """is_open, office time, next opening and close of next workday agree with the reference."""
    raw, start, end = sample
    cal = BusinessCalendar(CalendarRules.model_validate(raw))
    ref = Reference.of(raw)
    assert cal.is_open_ts(start) is ref.open(start)
    assert cal.is_open(aware(start, "utc")) is ref.open(start)
    office = ref.office_between(start, end)
    assert cal.office_seconds_ts(start, end) == office
    assert cal.office_time(aware(start, "ams"), aware(end, "utc")) == timedelta(seconds=office)
    assert cal.next_open_ts(start) == ref.next_open(start)
    assert cal.close_of_next_workday_ts(start) == ref.close_of_next_workday(start)
    if office > 0:
        assert cal.add_office_ts(start, office) == ref.walk(start, office, True)
        landed = cal.add_office_time(aware(start, "utc"), timedelta(seconds=office))
        assert landed.timestamp() == ref.walk(start, office, True)


@SETTINGS
@given(calendar_cases(), st.integers(1, 3 * 24 * 60))
def test_office_time_added_then_measured_is_the_same(
    sample: tuple[dict[str, Any], int, int], minutes: int
) -> None:
    """Adding office time and measuring it back gives the amount; the result is never later."""
    raw, start, _ = sample
    cal = BusinessCalendar(CalendarRules.model_validate(raw))
    amount = float(minutes * MINUTE)
    due = cal.add_office_ts(start, amount)
    assert cal.office_seconds_ts(start, due) == amount
    assert cal.office_seconds_ts(start, due - 1) < amount
    assume(due > start)
    pieces = list(cal.stretches_ts(start, due))
    assert sum(e - s for s, e in pieces) == amount
    assert all(cal.is_open_ts(s) and cal.is_open_ts(e - 1) for s, e in pieces)
