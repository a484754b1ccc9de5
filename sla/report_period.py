"""Report periods: calendar months and years in a policy's time zone.

A period is written ``2026-10`` (a month), ``2026`` (a year) or ``2026-05..2026-10`` (a range of
months; either end may be a year, ``2025..2026``). Months start at local midnight on the first,
so a month with a summer-time change is an hour shorter or longer in real time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

MAX_MONTHS = 120  # a longer period is a typing mistake, and costly to compute
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year}-{self.month:02d} is not a month")

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def back(self, months: int) -> Month:
        """The month ``months`` before this one."""
        index = self.year * 12 + self.month - 1 - months
        return Month(index // 12, index % 12 + 1)

    def start(self, tz: ZoneInfo) -> datetime:
        """Local midnight on the first of the month."""
        return datetime(self.year, self.month, 1, tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """Local midnight on the first of the next month (exclusive)."""
        return self.next().start(tz)

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo) -> Month:
        local = moment.astimezone(tz)
        return cls(local.year, local.month)


@dataclass(frozen=True)
class Period:
    """Whole calendar months from ``first`` to ``last``, both included."""

    first: Month
    last: Month
    text: str

    @property
    def label(self) -> str:
        return self.text

    def months(self) -> list[Month]:
        found = [self.first]
        while found[-1] < self.last:
            found.append(found[-1].next())
        return found

    def start(self, tz: ZoneInfo) -> datetime:
        return self.first.start(tz)

    def end(self, tz: ZoneInfo) -> datetime:
        return self.last.end(tz)

    @classmethod
    def of_months(cls, first: Month, last: Month) -> Period:
        text = first.label if first == last else f"{first.label}..{last.label}"
        if first.month == 1 and last.month == 12:
            text = str(first.year) if first.year == last.year else f"{first.year}..{last.year}"
        return cls(first, last, text)


def _bound(text: str, *, end: bool) -> Month:
    month = _MONTH.match(text)
    year = month or _YEAR.match(text)
    if year is None or not 1970 <= int(year.group(1)) <= 9998:
        raise ValueError(f"{text!r} is not a month (2026-10) or a year (2026)")
    if month:
        return Month(int(month.group(1)), int(month.group(2)))
    return Month(int(year.group(1)), 12 if end else 1)


def parse_period(text: str) -> Period:
    """Read ``2026-10``, ``2026`` or ``2026-05..2026-10``; raise ``ValueError`` otherwise."""
    text = text.strip()
    if ".." in text:
        first_text, _, last_text = text.partition("..")
        first, last = _bound(first_text.strip(), end=False), _bound(last_text.strip(), end=True)
    else:
        first, last = _bound(text, end=False), _bound(text, end=True)
    if last < first:
        raise ValueError(f"{text!r} ends before it starts")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise ValueError(f"{text!r} spans more than {MAX_MONTHS // 12} years")
    return Period.of_months(first, last)


def default_period(now: datetime, tz: ZoneInfo, reporting_months: int | None) -> Period:
    """Without a period named: the contract's reporting window of complete months (Pluvo 7.1:
    the previous six), else the current year to date."""
    current = Month.of(now, tz)
    if reporting_months:
        last = current.previous()
        return Period.of_months(last.back(reporting_months - 1), last)
    return Period.of_months(Month(current.year, 1), Month(current.year, 12))


def parse_moment(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 time as people type it (``2026-12-04T22:00``); without offset, in ``tz``.

    Raises ``ValueError`` for anything else.
    """
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment
