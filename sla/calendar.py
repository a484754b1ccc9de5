"""Business calendars: office hours, holidays and time zone as a table of office stretches.

The calendar turns its weekly hours and holidays into a sorted table of office intervals in UTC
epoch seconds with running totals of office time: the office clock as a counter. "How much office
time lies between a and b" is the difference of two readings and "when has office time d passed
since a" the instant the counter reads reading(a) + d: binary searches, whatever the span, and
summer-time changes need no special care: the table holds real instants.

Office hours are half-open: with 09:00-17:00, 09:00 is inside and 17:00 is outside. They are read
on the wall clock: on the night summer time starts, local 02:00-03:00 never happens and holds no
office time; on the night it ends, local 02:00-03:00 happens twice and counts twice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from sla.policy_schema import WEEKDAYS, CalendarRules

_MARGIN_YEARS = 2
_DAY = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@cache
def _country_holidays(
    country: str, categories: tuple[str, ...], year: int, language: str | None
) -> dict[date, str]:
    found = holidays_lib.country_holidays(
        country, years=year, categories=categories, language=language
    )
    return dict(found.items())


class BusinessCalendar:
    """Office time arithmetic for one policy's calendar."""

    def __init__(self, rules: CalendarRules) -> None:
        self.rules = rules
        self.tz = ZoneInfo(rules.timezone)
        by_day = {str(day): ranges for day, ranges in rules.office_hours.items()}
        self.weekly: tuple[tuple[tuple[int, int], ...], ...] = tuple(
            _merged(by_day.get(day, ())) for day in WEEKDAYS
        )
        lengths = [sum(e - s for s, e in day) for day in self.weekly if day]
        if rules.workday_length is not None:
            self.workday_seconds = rules.workday_length.total_seconds()
        else:
            self.workday_seconds = float(max(lengths) * 60)
        self._years = (0, -1)
        self._lo = self._hi = 0.0
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._cum_start: list[float] = []
        self._cum_end: list[float] = []
        self._day_of: list[date] = []

    # -- holidays and working days --------------------------------------------------------

    def holidays(self, year: int, language: str | None = None) -> dict[date, str]:
        """The holidays the calendar keeps that year, with their names."""
        rules = self.rules.holidays
        found = dict(_country_holidays(rules.country, rules.categories, year, language))
        for day in rules.remove:
            found.pop(day, None)
        found.update({day: name for day, name in rules.add.items() if day.year == year})
        return found

    def office_ranges(self, day: date) -> tuple[tuple[int, int], ...]:
        """The office hours of one date in minutes after midnight; empty on a day off."""
        if day in self.holidays(day.year):
            return ()
        return self.weekly[day.weekday()]

    def is_workday(self, day: date) -> bool:
        return bool(self.office_ranges(day))

    # -- the interval table ---------------------------------------------------------------

    def _ensure(self, ts: float) -> None:
        """Grow the table so that ``ts`` lies well inside it (callers check ``_lo``/``_hi``)."""
        if self._lo <= ts < self._hi:
            return
        year = datetime.fromtimestamp(ts, self.tz).year
        first, last = self._years
        if first > last:
            first, last = year - _MARGIN_YEARS, year + _MARGIN_YEARS
        else:
            first, last = min(first, year - _MARGIN_YEARS), max(last, year + _MARGIN_YEARS)
        self._build(first, last)

    def _build(self, first: int, last: int) -> None:
        rows: list[tuple[float, float, date]] = []
        days_off = {day for year in range(first, last + 1) for day in self.holidays(year)}
        day = date(first, 1, 1)
        stop = date(last + 1, 1, 1)
        while day < stop:
            ranges = self.weekly[day.weekday()]
            if ranges and day not in days_off:
                rows.extend((start, end, day) for start, end in self._utc_stretches(day, ranges))
            day += timedelta(days=1)
        if not rows:
            raise ValueError(f"the calendar has no office time in {first}-{last}")
        # Sorted by real time; a zone that turns its clock back across midnight would otherwise
        # put part of a day before the end of the previous one.
        rows.sort()
        starts = [row[0] for row in rows]
        ends = [row[1] for row in rows]
        cum_start: list[float] = []
        cum_end: list[float] = []
        total = 0.0
        if self._starts and starts:
            # A grown table keeps the readings of the old one: its first stretch reads the same.
            total = self._cum_start[0] - sum(
                e - s for s, e in zip(starts, ends, strict=True) if s < self._starts[0]
            )
        for s, e in zip(starts, ends, strict=True):
            cum_start.append(total)
            total += e - s
            cum_end.append(total)
        self._starts, self._ends, self._day_of = starts, ends, [row[2] for row in rows]
        self._cum_start, self._cum_end = cum_start, cum_end
        self._years = (first, last)
        # Queries are answered only well inside the table, so any target that runs past
        # its end is noticed and the table grows.
        self._lo = datetime(first, 1, 8, tzinfo=self.tz).timestamp()
        self._hi = datetime(last, 12, 24, tzinfo=self.tz).timestamp()

    def _utc_stretches(
        self, day: date, ranges: tuple[tuple[int, int], ...]
    ) -> list[tuple[float, float]]:
        """The real stretches of ``day`` whose wall-clock time lies in ``ranges``.

        Each stretch of constant UTC offset maps wall time to real time by subtraction, so a
        range is cut at a clock change: the skipped hour yields nothing, the repeated hour
        yields two stretches.
        """
        wall = (day.toordinal() - _EPOCH_ORDINAL) * _DAY  # local midnight read as if UTC
        pieces = []
        for lo, hi, offset in self._offsets(wall - _DAY, wall + 2 * _DAY):
            for start_min, end_min in ranges:
                start = max(wall + start_min * 60 - offset, lo)
                end = min(wall + end_min * 60 - offset, hi)
                if start < end:
                    pieces.append((start, end))
        pieces.sort()
        stretches: list[tuple[float, float]] = []
        for start, end in pieces:
            if stretches and start <= stretches[-1][1]:
                stretches[-1] = (stretches[-1][0], max(end, stretches[-1][1]))
            else:
                stretches.append((float(start), float(end)))
        return stretches

    def _offsets(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """``[lo, hi)`` in epoch seconds cut where the UTC offset changes, with the offset.

        Assumes at most one change in the three days asked about: zones change their clocks
        months apart.
        """
        first, last = self._offset(lo), self._offset(hi - 1)
        if first == last:
            return [(lo, hi, first)]
        before, after = lo, hi - 1
        while after - before > 1:
            middle = (before + after) // 2
            if self._offset(middle) == first:
                before = middle
            else:
                after = middle
        return [(lo, after, first), (after, hi, last)]

    def _offset(self, ts: int) -> int:
        offset = datetime.fromtimestamp(ts, self.tz).utcoffset()
        assert offset is not None
        return int(offset.total_seconds())

    # -- queries on epoch seconds -----------------------------------------------------------

    def is_open_ts(self, ts: float) -> bool:
        if not self._lo <= ts < self._hi:
            self._ensure(ts)
        i = bisect_right(self._starts, ts) - 1
        return i >= 0 and ts < self._ends[i]

    def reading_ts(self, ts: float) -> float:
        """The office clock's reading at ``ts``: office seconds counted from a fixed origin.

        Readings stay valid for the life of the calendar (a grown table keeps them), so the
        office time in ``[a, b)`` is ``reading_ts(b) - reading_ts(a)``.
        """
        return self.locate_ts(ts)[1]

    def locate_ts(self, ts: float) -> tuple[bool, float]:
        """Whether the office is open at ``ts``, and :meth:`reading_ts` then: one search."""
        if not self._lo <= ts < self._hi:
            self._ensure(ts)
        starts = self._starts
        i = bisect_right(starts, ts) - 1
        if i < 0:
            return False, self._cum_start[0]
        end = self._ends[i]
        if ts < end:
            return True, self._cum_start[i] + (ts - starts[i])
        return False, self._cum_end[i]

    def at_reading_ts(self, reading: float) -> float:
        """The earliest instant at which the office clock reads ``reading`` (from this calendar).

        That can be a closing time: the office time has passed by then, whatever comes after.
        """
        while True:
            cum_end = self._cum_end
            j = bisect_left(cum_end, reading)
            if j < len(cum_end) and self._ends[j] < self._hi:
                return self._starts[j] + (reading - self._cum_start[j])
            first, last = self._years
            if last - first > 400:
                raise ValueError("the calendar has too little office time to count that far")
            self._build(first, last + max(_MARGIN_YEARS, last - first))

    def office_seconds_ts(self, start: float, end: float) -> float:
        """Office time in ``[start, end)``; zero when ``end <= start``."""
        if end <= start:
            return 0.0
        return self.reading_ts(end) - self.reading_ts(start)

    def add_office_ts(self, start: float, seconds: float) -> float:
        """The earliest instant at which ``seconds`` of office time have passed since ``start``."""
        if seconds <= 0:
            return start
        return self.at_reading_ts(self.locate_ts(start)[1] + seconds)

    def next_open_ts(self, ts: float) -> float:
        """``ts`` itself when the office is open then, else the next opening."""
        self._ensure(ts)
        i = bisect_right(self._starts, ts) - 1
        if i >= 0 and ts < self._ends[i]:
            return ts
        if i + 1 >= len(self._starts):
            first, last = self._years
            self._build(first, last + _MARGIN_YEARS)
            return self.next_open_ts(ts)
        return self._starts[i + 1]

    def close_of_next_workday_ts(self, ts: float) -> float:
        """Closing time of the workday after the day of the first office moment at ``ts``."""
        first_open = self.next_open_ts(ts)
        i = bisect_right(self._starts, first_open) - 1
        day = self._day_of[i]
        j = i
        while self._day_of[j] == day:
            j += 1
            if j >= len(self._day_of):
                first, last = self._years
                self._build(first, last + _MARGIN_YEARS)
                return self.close_of_next_workday_ts(ts)
        next_day = self._day_of[j]
        while j + 1 < len(self._day_of) and self._day_of[j + 1] == next_day:
            j += 1
        return self._ends[j]

    def stretches_ts(self, start: float, end: float) -> Iterator[tuple[float, float]]:
        """The office stretches inside ``[start, end)``, in order."""
        if end <= start:
            return
        self._ensure(start)
        self._ensure(end)
        i = max(bisect_right(self._starts, start) - 1, 0)
        while i < len(self._starts) and self._starts[i] < end:
            s, e = max(self._starts[i], start), min(self._ends[i], end)
            if s < e:
                yield s, e
            i += 1

    # -- datetime conveniences -----------------------------------------------------------------

    def local(self, ts: float) -> datetime:
        """``ts`` as local time; ``fromtimestamp`` rounds half-even to the microsecond."""
        return datetime.fromtimestamp(ts, self.tz)

    def is_open(self, moment: datetime) -> bool:
        return self.is_open_ts(_ts(moment))

    def office_time(self, start: datetime, end: datetime) -> timedelta:
        return timedelta(seconds=self.office_seconds_ts(_ts(start), _ts(end)))

    def add_office_time(self, start: datetime, amount: timedelta) -> datetime:
        return self.local(self.add_office_ts(_ts(start), amount.total_seconds()))

    def workdays(self, year: int) -> Iterable[date]:
        day = date(year, 1, 1)
        while day.year == year:
            if self.is_workday(day):
                yield day
            day += timedelta(days=1)


def _merged(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted ranges with overlapping or touching ones joined, so no minute counts twice."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return tuple(joined)


def _ts(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return moment.timestamp()
