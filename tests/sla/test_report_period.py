"""Report periods: months and years as people type them, on the policy's local calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sla.report_period import Month, Period, default_period, parse_moment, parse_period

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("text", "first", "last", "label"),
    [
        ("2026-10", Month(2026, 10), Month(2026, 10), "2026-10"),
        ("2026-3", Month(2026, 3), Month(2026, 3), "2026-03"),
        ("2026", Month(2026, 1), Month(2026, 12), "2026"),
        ("2026-05..2026-10", Month(2026, 5), Month(2026, 10), "2026-05..2026-10"),
        ("2025..2026", Month(2025, 1), Month(2026, 12), "2025..2026"),
        ("2025-11..2026", Month(2025, 11), Month(2026, 12), "2025-11..2026-12"),
    ],
)
def test_periods_people_type(text: str, first: Month, last: Month, label: str) -> None:
    """A month, a year, or a range of either, with its label."""
    period = parse_period(text)
    assert (period.first, period.last, period.label) == (first, last, label)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-00",
        "oct",
        "2026-10..2026-05",
        "26",
        "1969",
        "2026-10..",
        "2016..2026",
        "10000",
    ],
)
def test_what_is_not_a_period(text: str) -> None:
    """Anything else is refused with ValueError."""
    with pytest.raises(ValueError):
        parse_period(text)


def test_ten_years_is_the_longest_period() -> None:
    """2017..2026 is 120 months, the most a report covers; 9998 still has an end."""
    assert len(parse_period("2017..2026").months()) == 120
    assert parse_period("9998").last.end(AMS).year == 9999


def test_months_of_a_range_cross_the_year() -> None:
    """2025-11..2026-02 is four months, in order."""
    assert [m.label for m in parse_period("2025-11..2026-02").months()] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_month_arithmetic() -> None:
    """next, previous and back wrap around the year."""
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 2).back(14) == Month(2024, 12)


def test_months_start_at_local_midnight_so_dst_months_differ_in_length() -> None:
    """October 2026 has 745 real hours (summer time ends), March 2026 743, November 720."""
    hours = {
        m: (Month(2026, m).end(AMS).timestamp() - Month(2026, m).start(AMS).timestamp()) / 3600
        for m in (3, 10, 11)
    }
    assert hours == {3: 743, 10: 745, 11: 720}
    assert Month(2026, 10).start(AMS).utcoffset() != Month(2026, 10).end(AMS).utcoffset()


def test_default_period_is_the_reporting_window_else_the_year() -> None:
    """Pluvo 7.1: the six complete months before now; without a window, this year to date."""
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert default_period(now, AMS, 6) == Period.of_months(Month(2026, 5), Month(2026, 10))
    assert default_period(now, AMS, None).label == "2026"


def test_moments_without_offset_are_local() -> None:
    """``2026-12-04T22:00`` is Amsterdam time; an explicit offset is kept."""
    assert parse_moment("2026-12-04T22:00", AMS) == datetime(2026, 12, 4, 21, tzinfo=UTC)
    assert parse_moment("2026-12-04T22:00+00:00", AMS) == datetime(2026, 12, 4, 22, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_moment("tomorrow", AMS)
