"""BusinessCalendar: half-open office hours, office time, openings, holidays and the table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import BusinessCalendar
from sla.policy_schema import CalendarRules

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = {day: ["08:30-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def calendar(**rules: Any) -> BusinessCalendar:
    return BusinessCalendar(CalendarRules.model_validate({"office_hours": WEEK, **rules}))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


PLEK = calendar()


# -- is_open ----------------------------------------------------------------------------------


def test_opening_time_is_inside_and_closing_time_is_outside() -> None:
    """With 08:30-18:00, 08:30 is inside, 18:00 outside, and the second before each the opposite."""
    assert PLEK.is_open(local(2026, 11, 24, 8, 30))
    assert not PLEK.is_open(local(2026, 11, 24, 8, 30) - timedelta(seconds=1))
    assert PLEK.is_open(local(2026, 11, 24, 18) - timedelta(microseconds=1))
    assert not PLEK.is_open(local(2026, 11, 24, 18))
    assert PLEK.office_ranges(date(2026, 11, 24)) == ((510, 1080),)


def test_office_hours_are_wall_clock_time_in_summer_and_winter() -> None:
    """08:30 Amsterdam is 07:30 UTC in winter and 06:30 UTC in summer."""
    assert PLEK.is_open(datetime(2026, 1, 13, 7, 30, tzinfo=UTC))
    assert not PLEK.is_open(datetime(2026, 1, 13, 6, 30, tzinfo=UTC))
    assert PLEK.is_open(datetime(2026, 7, 14, 6, 30, tzinfo=UTC))
    assert not PLEK.is_open(datetime(2026, 7, 14, 16, 0, tzinfo=UTC))


def test_weekends_and_holidays_are_closed() -> None:
    """Saturday, Sunday and King's Day (Monday 27 April 2026) have no office hours."""
    assert not PLEK.is_open(local(2026, 11, 28, 12))
    assert not PLEK.is_open(local(2026, 11, 29, 12))
    assert not PLEK.is_open(local(2026, 4, 27, 12))
    assert not PLEK.is_workday(date(2026, 4, 27))
    assert PLEK.is_workday(date(2026, 4, 28))


def test_a_naive_time_is_refused() -> None:
    """A time without a zone is ambiguous, so the calendar refuses it."""
    with pytest.raises(ValueError, match="time zone"):
        PLEK.is_open(datetime(2026, 11, 24, 12))


# -- office time ------------------------------------------------------------------------------


def test_office_time_counts_only_office_hours() -> None:
    """Tue 17:00 to Wed 09:30 holds one hour on Tuesday and one on Wednesday."""
    assert PLEK.office_time(local(2026, 11, 24, 17), local(2026, 11, 25, 9, 30)) == timedelta(
        hours=2
    )
    assert PLEK.office_time(local(2026, 11, 24, 10), local(2026, 11, 24, 10)) == timedelta(0)
    assert PLEK.office_time(local(2026, 11, 24, 12), local(2026, 11, 24, 10)) == timedelta(0)


def test_office_time_skips_weekends_and_holidays() -> None:
    """Thu 17:00 before Easter 2026 to Tue 09:30 is 2 h: Good Friday and Easter Monday are off."""
    start = local(2026, 4, 2, 17)  # Thursday; Friday 3 April is Good Friday
    assert PLEK.office_time(start, local(2026, 4, 7, 9, 30)) == timedelta(hours=2)
    assert PLEK.office_time(local(2026, 11, 27, 17), local(2026, 11, 30, 9, 30)) == timedelta(
        hours=2
    )


def test_adding_office_time_lands_exactly_on_closing_time() -> None:
    """4h30 from Tue 13:30 is Tue 18:00, the earliest instant, not Wed 08:30."""
    due = PLEK.add_office_time(local(2026, 11, 24, 13, 30), timedelta(hours=4, minutes=30))
    assert due == local(2026, 11, 24, 18)
    assert due.tzinfo == AMS
    one_more = PLEK.add_office_time(local(2026, 11, 24, 13, 30), timedelta(hours=4, minutes=31))
    assert one_more == local(2026, 11, 25, 8, 31)


def test_adding_office_time_at_night_starts_at_the_next_opening() -> None:
    """Four office hours from Tue 20:00 end Wed 12:30; from Friday night, Monday 12:30."""
    assert PLEK.add_office_time(local(2026, 11, 24, 20), timedelta(hours=4)) == local(
        2026, 11, 25, 12, 30
    )
    assert PLEK.add_office_time(local(2026, 11, 27, 20), timedelta(hours=4)) == local(
        2026, 11, 30, 12, 30
    )


def test_adding_nothing_returns_the_start() -> None:
    """Zero office time from a closed moment is that moment, not the next opening."""
    ts = local(2026, 11, 28, 12).timestamp()
    assert PLEK.add_office_ts(ts, 0) == ts


def test_office_time_keeps_microseconds() -> None:
    """A start with microseconds keeps them through the arithmetic."""
    start = local(2026, 11, 24, 10) + timedelta(microseconds=123457)
    due = PLEK.add_office_time(start, timedelta(hours=1))
    assert due == local(2026, 11, 24, 11) + timedelta(microseconds=123457)
    assert PLEK.office_time(start, due) == timedelta(hours=1)


def test_split_days_count_only_their_ranges() -> None:
    """With 09:00-12:00 and 13:00-17:00 a two-hour target from 11:00 ends at 14:00."""
    split = calendar(office_hours={"mon": ["09:00-12:00", "13:00-17:00"]})
    monday = local(2026, 11, 23, 11)
    assert split.add_office_time(monday, timedelta(hours=2)) == local(2026, 11, 23, 14)
    assert not split.is_open(local(2026, 11, 23, 12, 30))
    assert split.workday_seconds == 7 * 3600


def test_overlapping_ranges_count_once() -> None:
    """Ranges that overlap or touch are one stretch: no minute is counted twice."""
    overlapping = calendar(office_hours={"mon": ["09:00-12:00", "11:00-13:00", "13:00-14:00"]})
    monday = local(2026, 11, 23)
    assert overlapping.office_ranges(monday.date()) == ((540, 840),)
    assert overlapping.office_time(monday, monday + timedelta(days=1)) == timedelta(hours=5)


def test_uneven_days_take_the_declared_workday_length() -> None:
    """A calendar whose days differ in length uses its workday_length for N workdays."""
    uneven = calendar(
        office_hours={"mon": ["09:00-17:00"], "fri": ["09:00-13:00"]}, workday_length="6h"
    )
    assert uneven.workday_seconds == 6 * 3600
    assert PLEK.workday_seconds == 9.5 * 3600


def test_stretches_list_the_office_time_in_order() -> None:
    """The office stretches of Tue 17:00 to Thu 09:00 are Tue 17-18, Wed 08:30-18, Thu 08:30-9."""
    start, end = local(2026, 11, 24, 17), local(2026, 11, 26, 9)
    stretches = PLEK.stretches_ts(start.timestamp(), end.timestamp())
    found = [(PLEK.local(s), PLEK.local(e)) for s, e in stretches]
    assert found == [
        (local(2026, 11, 24, 17), local(2026, 11, 24, 18)),
        (local(2026, 11, 25, 8, 30), local(2026, 11, 25, 18)),
        (local(2026, 11, 26, 8, 30), local(2026, 11, 26, 9)),
    ]


# -- openings and workdays ------------------------------------------------------------------


def test_next_open_is_now_when_open_else_the_next_opening() -> None:
    """Open: the moment itself; at closing time or at night: the next morning; Friday: Monday."""
    at = local(2026, 11, 24, 12).timestamp()
    assert PLEK.next_open_ts(at) == at
    assert (
        PLEK.next_open_ts(local(2026, 11, 24, 18).timestamp())
        == local(2026, 11, 25, 8, 30).timestamp()
    )
    assert (
        PLEK.next_open_ts(local(2026, 11, 27, 18).timestamp())
        == local(2026, 11, 30, 8, 30).timestamp()
    )
    assert (
        PLEK.next_open_ts(local(2026, 4, 24, 20).timestamp())
        == local(2026, 4, 28, 8, 30).timestamp()
    )


@pytest.mark.parametrize(
    ("reported", "due"),
    [
        (local(2026, 11, 24, 10), local(2026, 11, 25, 18)),  # Tue -> Wed close
        (local(2026, 11, 24, 20), local(2026, 11, 26, 18)),  # first office day Wed -> Thu
        (local(2026, 11, 27, 10), local(2026, 11, 30, 18)),  # Fri -> Mon
        (local(2026, 4, 2, 10), local(2026, 4, 7, 18)),  # Thu before Easter -> Tue
        (local(2026, 11, 28, 10), local(2026, 12, 1, 18)),  # Sat: first office day Mon -> Tue
    ],
)
def test_close_of_next_workday(reported: datetime, due: datetime) -> None:
    """The closing time of the workday after the report's first office day."""
    assert PLEK.close_of_next_workday_ts(reported.timestamp()) == due.timestamp()


def test_workdays_of_a_year() -> None:
    """2026 has 261 weekdays; 7 NL holidays fall on one, leaving 254 working days."""
    days = list(PLEK.workdays(2026))
    assert len(days) == 254
    assert date(2026, 4, 27) not in days and date(2026, 4, 28) in days


# -- holidays ----------------------------------------------------------------------------------


def test_added_and_removed_holidays() -> None:
    """A company day off is closed; a removed public holiday is an ordinary working day."""
    cal = calendar(
        holidays={"add": {"2026-11-24": "Company day"}, "remove": ["2026-04-27"]},
    )
    assert not cal.is_open(local(2026, 11, 24, 12))
    assert cal.is_open(local(2026, 4, 27, 12))
    assert cal.holidays(2026)[date(2026, 11, 24)] == "Company day"
    assert date(2026, 4, 27) not in cal.holidays(2026)
    assert cal.add_office_time(local(2026, 11, 23, 17), timedelta(hours=2)) == local(
        2026, 11, 25, 9, 30
    )


def test_liberation_day_only_in_lustrum_years_unless_added() -> None:
    """5 May is a public holiday in 2025 but not in 2026; a policy can add it."""
    assert not PLEK.is_workday(date(2025, 5, 5))
    assert PLEK.is_workday(date(2026, 5, 5))
    every_year = calendar(holidays={"add": {"2026-05-05": "Bevrijdingsdag"}})
    assert not every_year.is_workday(date(2026, 5, 5))


# -- summer time -------------------------------------------------------------------------------


def test_hours_in_the_skipped_hour_hold_no_office_time() -> None:
    """On 29 March 2026 local 02:00-03:00 never happens: 01:00-04:00 holds two real hours."""
    night = calendar(office_hours={"sun": ["01:00-04:00"]})
    sunday = local(2026, 3, 29)
    assert night.office_time(sunday, sunday + timedelta(days=1)) == timedelta(hours=2)
    only_skipped = calendar(office_hours={"sun": ["02:15-02:45", "10:00-11:00"]})
    assert only_skipped.office_time(sunday, sunday + timedelta(days=1)) == timedelta(hours=1)


def test_hours_in_the_repeated_hour_count_twice() -> None:
    """On 25 October 2026 local 02:00-02:30 happens twice, so it holds an hour of office time."""
    night = calendar(office_hours={"sun": ["02:00-02:30"]})
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert night.office_seconds_ts(start.timestamp(), start.timestamp() + 6 * 3600) == 3600
    # The first stretch is 00:00-00:30 UTC (summer time), the second 01:00-01:30 UTC.
    assert night.is_open(datetime(2026, 10, 25, 0, 10, tzinfo=UTC))
    assert not night.is_open(datetime(2026, 10, 25, 0, 45, tzinfo=UTC))
    assert night.is_open(datetime(2026, 10, 25, 1, 10, tzinfo=UTC))


def test_a_whole_day_on_the_change_nights_is_23_and_25_hours() -> None:
    """Office hours 00:00-24:00 give 23 real hours in March and 25 in October."""
    always = calendar(office_hours={"sun": ["00:00-24:00"]})
    march, october = local(2026, 3, 29), local(2026, 10, 25)
    assert always.office_seconds_ts(march.timestamp(), march.timestamp() + 2 * 86400) == 23 * 3600
    assert always.office_seconds_ts(october.timestamp(), october.timestamp() + 2 * 86400) == (
        25 * 3600
    )


def test_office_time_across_a_change_night_is_unchanged() -> None:
    """Four office hours from Friday 16:00 before the March change end Monday 10:30 local."""
    due = PLEK.add_office_time(local(2026, 3, 27, 16), timedelta(hours=4))
    assert due == local(2026, 3, 30, 10, 30)
    assert due.utcoffset() == timedelta(hours=2)


# -- the table ---------------------------------------------------------------------------------


def test_far_future_and_far_past_dates_grow_the_table() -> None:
    """Queries in 2090 and 1995 are answered like any other, and readings stay put."""
    cal = calendar()
    near = local(2026, 11, 24, 10).timestamp()
    before = cal.reading_ts(near)
    assert cal.is_open(local(2090, 11, 21, 10))  # a Tuesday
    assert not cal.is_open(local(1995, 12, 25, 10))  # Christmas, a Monday
    assert cal.reading_ts(near) == before
    assert cal.office_time(local(1995, 5, 1, 8, 30), local(1995, 5, 1, 18)) == timedelta(hours=9.5)
    assert cal.add_office_time(local(2090, 11, 21, 17), timedelta(hours=2)) == local(
        2090, 11, 22, 9, 30
    )


def test_a_target_past_the_end_of_the_table_grows_it() -> None:
    """Ten years of office time from 2026 lands where measuring back gives ten years."""
    cal = calendar()
    start = local(2026, 11, 24, 10).timestamp()
    ten_years = 10 * 254 * 9.5 * 3600
    due = cal.add_office_ts(start, ten_years)
    assert cal.local(due).year in (2036, 2037)
    assert cal.office_seconds_ts(start, due) == ten_years
    assert cal.is_open_ts(due - 1)


def test_local_times_are_in_the_calendar_zone() -> None:
    """local() gives an aware time in the calendar's zone for an epoch second."""
    moment = PLEK.local(datetime(2026, 7, 14, 6, 30, tzinfo=UTC).timestamp())
    assert moment == local(2026, 7, 14, 8, 30)
    assert moment.tzinfo == AMS


def test_readings_measure_and_add_office_time() -> None:
    """Office time is a difference of readings; a reading's instant is the earliest one."""
    evening, morning = local(2026, 11, 24, 17).timestamp(), local(2026, 11, 25, 9, 30).timestamp()
    assert PLEK.reading_ts(morning) - PLEK.reading_ts(evening) == 2 * 3600
    closing = local(2026, 11, 24, 18).timestamp()
    assert PLEK.at_reading_ts(PLEK.reading_ts(evening) + 3600) == closing
    assert PLEK.locate_ts(evening) == (True, PLEK.reading_ts(evening))
    night = local(2026, 11, 24, 20).timestamp()
    assert PLEK.locate_ts(night) == (False, PLEK.reading_ts(closing))
