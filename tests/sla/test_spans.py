"""Stretch arithmetic for availability, and weekly windows placed on real instants."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sla.policy import builtin_policy
from sla.spans import clipped, merged, minus, overlap, total, weekly_spans

AMS = ZoneInfo("Europe/Amsterdam")


def test_merged_joins_overlapping_and_touching_stretches() -> None:
    """Overlaps and touching ends join; empty stretches vanish; the result is sorted."""
    assert merged([(5, 7), (0, 2), (2, 3), (6, 9), (4, 4)]) == [(0, 3), (5, 9)]


def test_minus_cuts_holes() -> None:
    """Cuts inside, across and beside stretches are taken out."""
    assert minus([(0, 10), (20, 30)], [(2, 3), (8, 22), (29, 40)]) == [
        (0, 2),
        (3, 8),
        (22, 29),
    ]
    assert minus([(0, 10)], []) == [(0, 10)]


def test_overlap_and_total() -> None:
    """The common part of two sets, and its length."""
    common = overlap([(0, 10), (20, 30)], [(5, 25)])
    assert common == [(5, 10), (20, 25)]
    assert total(common) == 10.0
    assert clipped([(0, 10), (20, 30)], 5, 25) == [(5, 10), (20, 25)]


def _ts(*args: int) -> float:
    return datetime(*args, tzinfo=AMS).timestamp()


def test_klik_windows_are_two_wall_clock_hours_on_weekdays_also_in_a_dst_week() -> None:
    """Klik 4.6: Mon-Fri 22:00-24:00. In the week summer time ends (25 Oct 2026) each is still
    two real hours, and Saturday and Sunday have none."""
    urgent = builtin_policy("klik").doc.calendar.windows["urgent_maintenance"]
    spans = weekly_spans(urgent, AMS, _ts(2026, 10, 23), _ts(2026, 10, 28))
    assert spans == [
        (_ts(2026, 10, 23, 22), _ts(2026, 10, 24)),
        (_ts(2026, 10, 26, 22), _ts(2026, 10, 27)),
        (_ts(2026, 10, 27, 22), _ts(2026, 10, 28)),
    ]
    assert all(end - start == 7200 for start, end in spans)


def test_weekly_windows_are_cut_to_the_range() -> None:
    """A window that began before the range counts from the range's start."""
    planned = builtin_policy("klik").doc.calendar.windows["planned_maintenance"]
    assert weekly_spans(planned, AMS, _ts(2026, 11, 27, 23), _ts(2026, 11, 30)) == [
        (_ts(2026, 11, 27, 23), _ts(2026, 11, 28))
    ]
