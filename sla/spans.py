"""Sets of instants as sorted, disjoint ``(start, end)`` stretches of epoch seconds.

Availability is set arithmetic: the measured time of a month (all of it, its office hours, or the
rest) less the excluded windows, and the outages inside that. Office time itself comes from
``sla.calendar``; this module only adds, cuts and measures stretches, and places a policy's weekly
wall-clock windows (Klik's Friday 22:00-24:00) on real instants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.policy_schema import WEEKDAYS, WeeklyWindow

Span = tuple[float, float]


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping and touching stretches joined; empty ones dropped."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def total(spans: Iterable[Span]) -> float:
    return sum((end - start for start, end in spans), 0.0)


def clipped(spans: Iterable[Span], start: float, end: float) -> list[Span]:
    return [(max(s, start), min(e, end)) for s, e in spans if min(e, end) > max(s, start)]


def minus(spans: Sequence[Span], cuts: Sequence[Span]) -> list[Span]:
    """``spans`` without the instants in ``cuts`` (both sorted and disjoint)."""
    out: list[Span] = []
    j = 0
    for start, end in spans:
        current = start
        while j < len(cuts) and cuts[j][1] <= current:
            j += 1
        k = j
        while k < len(cuts) and cuts[k][0] < end:
            if cuts[k][0] > current:
                out.append((current, cuts[k][0]))
            current = max(current, cuts[k][1])
            k += 1
        if current < end:
            out.append((current, end))
    return out


def overlap(spans: Sequence[Span], others: Sequence[Span]) -> list[Span]:
    """The instants in both (each sorted and disjoint)."""
    out: list[Span] = []
    i = j = 0
    while i < len(spans) and j < len(others):
        start = max(spans[i][0], others[j][0])
        end = min(spans[i][1], others[j][1])
        if start < end:
            out.append((start, end))
        if spans[i][1] < others[j][1]:
            i += 1
        else:
            j += 1
    return out


def weekly_spans(window: WeeklyWindow, tz: ZoneInfo, start: float, end: float) -> list[Span]:
    """The occurrences of a weekly wall-clock window inside ``[start, end)``.

    Each day's window is read on that day's wall clock (so Friday 22:00-24:00 is two real hours
    in summer and in winter); ``24:00`` is the next midnight.
    """
    first = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, tz).date()
    days = {WEEKDAYS.index(d) for d in window.days}
    lo, hi = window.hours
    found: list[Span] = []
    day = first
    while day <= last:
        if day.weekday() in days:
            found.append((_wall(day, lo, tz), _wall(day, hi, tz)))
        day += timedelta(days=1)
    return clipped(merged(found), start, end)


def _wall(day: date, minutes: int, tz: ZoneInfo) -> float:
    extra, minutes = divmod(minutes, 24 * 60)
    day += timedelta(days=extra)
    hour, minute = divmod(minutes, 60)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).timestamp()
