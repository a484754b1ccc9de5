"""Availability per month, credits, review and termination rights, with hand-computed figures,
on SQLite and on PostgreSQL.

Month lengths in Amsterdam: July, August and October 2026 have 744, 744 and 745 real hours (summer
time ends on 25 October), September and November 720. November 2026 has 21 working days and no
holidays; October 22.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.maintenance import add_maintenance
from sla.models import Customer
from sla.outages import correct_outage
from sla.report_period import Month, parse_period
from sla.reports_availability import AvailabilityReport, NoAvailability, availability_report
from tests.conftest import load_demo_directory
from tests.desk import STAFF, Desk, at

Build = Callable[[Desk], None]
HOUR = 3600.0


def _report(
    engine: Engine, build: Build, customer: str, period: str, now: datetime
) -> AvailabilityReport:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        build(Desk(session))
    with session_scope(engine) as session:
        found = session.get(Customer, customer)
        assert found is not None
        return availability_report(session, found, parse_period(period), now)


def _months(report: AvailabilityReport) -> dict[str, float | None]:
    return {f.month.label: f.percent for f in report.months}


# -- Plek: 24x7, credit and termination (2.4.2, 6.3) -----------------------------------------


def test_plek_october_with_its_extra_hour_and_a_credit(engine: Engine) -> None:
    """A P1 outage of 9 h in October (745 h): 1 - 9/745 = 98.7919 %, below 98.9 %: 1 % of the
    monthly fee back, to be claimed within a month of the month's end: before 1 December
    ("binnen één maand", a calendar month, not 31 days)."""

    def build(desk: Desk) -> None:
        desk.outage("acme", "P1", at(2026, 10, 6, 8), at(2026, 10, 6, 17))
        desk.outage("acme", "P2", at(2026, 10, 7, 8), at(2026, 10, 9, 17))  # P2 is not "down"

    report = _report(engine, build, "acme", "2026-10", at(2026, 11, 24, 10))
    (october,) = report.months
    (window,) = october.windows
    assert (window.window, window.measured, window.down) == ("24x7", 745 * HOUR, 9 * HOUR)
    assert october.percent == 98.7919  # 98.79194…, rounded down
    assert october.outages == ("PLEK-1",) and october.interruptions == 1
    (credit,) = report.rights
    assert (credit.kind, credit.month, credit.credit_percent) == ("credit", Month(2026, 10), 1)
    assert credit.claim_by == at(2026, 12, 1)


def test_plek_march_outage_across_the_start_of_summer_time(engine: Engine) -> None:
    """Down Sat 28 Mar 22:00 to Sun 29 Mar 04:00 is 5 real hours (02:00-03:00 never happens);
    March has 743 h: 1 - 5/743 = 99.327 %."""
    report = _report(
        engine,
        lambda desk: desk.outage("acme", "P1", at(2026, 3, 28, 22), at(2026, 3, 29, 4)),
        "acme",
        "2026-03",
        at(2026, 4, 1, 12),
    )
    (window,) = report.months[0].windows
    assert (window.measured, window.down) == (743 * HOUR, 5 * HOUR)
    assert report.outages[0].seconds(at(2026, 4, 1)) == 5 * HOUR


def _below_in(desk: Desk, *months: tuple[int, int]) -> None:
    """A 12-hour P1 outage in each month: 1.6 % of it, below 98.9 %."""
    for year, month in months:
        desk.outage("acme", "P1", at(year, month, 15, 8), at(year, month, 15, 20))


def test_plek_three_months_below_give_the_right_to_terminate(engine: Engine) -> None:
    """Plek 6.3: July, August and September below 98.9 %: the right arises in September."""
    report = _report(
        engine,
        lambda desk: _below_in(desk, (2026, 7), (2026, 8), (2026, 9)),
        "acme",
        "2026-07..2026-09",
        at(2026, 10, 1, 12),
    )
    termination = [r for r in report.rights if r.kind == "termination"]
    (right,) = termination
    assert (right.month, right.counted_months, right.excepted) == (Month(2026, 9), 3, ())
    assert right.months == (Month(2026, 7), Month(2026, 8), Month(2026, 9))
    assert len([r for r in report.rights if r.kind == "credit"]) == 3


def _spanning(desk: Desk) -> None:
    # July 12 h; August 12 h plus 10 h of an outage from Mon 31 Aug 14:00 to Tue 1 Sep 04:00,
    # whose other 4 h fall in September, which also has 10 h of its own.
    desk.outage("acme", "P1", at(2026, 7, 15, 8), at(2026, 7, 15, 20))
    desk.outage("acme", "P1", at(2026, 8, 12, 8), at(2026, 8, 12, 20))
    desk.outage("acme", "P1", at(2026, 8, 31, 14), at(2026, 9, 1, 4))
    desk.outage("acme", "P1", at(2026, 9, 16, 8), at(2026, 9, 16, 18))


def test_plek_two_months_one_incident_spans_count_as_one(engine: Engine) -> None:
    """Plek 6.3: August and September are below because PLEK-3 began in August and ended in
    September: they count as one month, so July-September is two, not three: no right."""
    report = _report(engine, _spanning, "acme", "2026-07..2026-09", at(2026, 10, 1, 12))
    months = _months(report)
    assert months["2026-08"] == pytest.approx(100 * (1 - 22 / 744))
    assert months["2026-09"] == pytest.approx(100 * (1 - 14 / 720))
    assert [r.kind for r in report.rights] == ["credit", "credit", "credit"]


def test_plek_a_fourth_month_below_gives_the_right_after_all(engine: Engine) -> None:
    """With October below too, July, August+September and October make three: the right arises
    in October, and the report says which pair counted as one and why."""

    def build(desk: Desk) -> None:
        _spanning(desk)
        _below_in(desk, (2026, 10))

    report = _report(engine, build, "acme", "2026-07..2026-10", at(2026, 11, 1, 12))
    (right,) = [r for r in report.rights if r.kind == "termination"]
    assert (right.month, right.counted_months) == (Month(2026, 10), 3)
    assert right.excepted == ((Month(2026, 8), Month(2026, 9), "PLEK-3"),)
    assert not right.provisional


def test_a_run_is_found_from_before_the_period(engine: Engine) -> None:
    """Asking for October alone still finds the run that began in August."""
    report = _report(
        engine,
        lambda desk: _below_in(desk, (2026, 8), (2026, 9), (2026, 10)),
        "acme",
        "2026-10",
        at(2026, 11, 2, 12),
    )
    (right,) = [r for r in report.rights if r.kind == "termination"]
    assert right.month == Month(2026, 10) and right.months[0] == Month(2026, 8)


def test_an_ongoing_outage_counts_up_to_now(engine: Engine) -> None:
    """A P1 open since Tue 24 Nov 08:00, at 10:00: 2 h down in the 562 h of November so far."""
    report = _report(
        engine,
        lambda desk: desk.outage("acme", "P1", at(2026, 11, 24, 8), None),
        "acme",
        "2026-11",
        at(2026, 11, 24, 10),
    )
    (november,) = report.months
    assert november.to_date and november.windows[0].measured == 562 * HOUR
    assert november.windows[0].down == 2 * HOUR
    assert report.outages[0].ended_at is None
    assert november.percent == pytest.approx(100 * (1 - 2 / 562)) and report.rights == ()


# -- Pluvo: business hours without planned maintenance (4.1, 4.2, 7.2, 7.2.1) -----------------


def _pluvo_november(desk: Desk) -> None:
    customer = desk.customer("stadtwerke")
    # Planned: Thu 12 Nov 16:00-17:00, announced in June.
    add_maintenance(
        session=desk.session,
        customer=customer,
        starts_at=at(2026, 11, 12, 16),
        ends_at=at(2026, 11, 12, 17),
        announced_at=at(2026, 6, 1, 9),
        note="upgrade",
        recorded_by="Sam",
        now=at(2026, 6, 1, 9),
    )
    # Announced only after it began: not planned, stays in the production time.
    add_maintenance(
        session=desk.session,
        customer=customer,
        starts_at=at(2026, 11, 13, 10),
        ends_at=at(2026, 11, 13, 10, 30),
        announced_at=at(2026, 11, 13, 10, 15),
        note="hotfix",
        recorded_by="Sam",
        now=at(2026, 11, 13, 10, 15),
    )
    # Down Thu 12 Nov 15:00-18:00: office 15:00-17:00, of which 16:00-17:00 is maintenance.
    desk.outage("stadtwerke", "P1", at(2026, 11, 12, 15), at(2026, 11, 12, 18))


def test_pluvo_counts_business_hours_without_planned_maintenance(engine: Engine) -> None:
    """Pluvo 4.2: production time 21 days x 8 h = 168 h less 1 h maintenance = 167 h; downtime
    in it 1 h: (167 - 1) / 167 = 99.401 %, below 99.8 %."""
    report = _report(engine, _pluvo_november, "stadtwerke", "2026-11", at(2026, 12, 1, 12))
    (november,) = report.months
    (window,) = november.windows
    assert (window.window, window.measured, window.down, window.excluded) == (
        "office",
        167 * HOUR,
        1 * HOUR,
        1 * HOUR,
    )
    assert november.percent == pytest.approx(100 * 166 / 167)
    assert window.met is False
    assert [w.note for w in report.maintenance] == ["upgrade", "hotfix"]
    assert report.rights == ()  # one month below is neither a review nor termination


def test_pluvo_two_months_below_call_for_a_review(engine: Engine) -> None:
    """Pluvo 7.2: October (176 h, 1 h down) and November below 99.8 %: review in November."""

    def build(desk: Desk) -> None:
        _pluvo_november(desk)
        desk.outage("stadtwerke", "P1", at(2026, 10, 6, 10), at(2026, 10, 6, 11))

    report = _report(engine, build, "stadtwerke", "2026-10..2026-11", at(2026, 12, 1, 12))
    assert _months(report)["2026-10"] == pytest.approx(100 * 175 / 176)
    (review,) = report.rights
    assert (review.kind, review.basis, review.month) == ("review", "availability", Month(2026, 11))
    assert review.months == (Month(2026, 10), Month(2026, 11))


def test_pluvo_four_months_below_give_the_right_to_terminate(engine: Engine) -> None:
    """Pluvo 7.2.1: August to November below: the review arises in September, termination in
    November."""

    def build(desk: Desk) -> None:
        # Weekdays, 2 h down in business hours; acknowledged in time: no missed times.
        for month, day in ((8, 3), (9, 3), (10, 6), (11, 3)):
            incident = desk.open("stadtwerke", "P1", at(2026, month, day, 10))
            desk.ack(incident, at(2026, month, day, 10, 30))
            desk.resolve(incident, at(2026, month, day, 12))

    report = _report(engine, build, "stadtwerke", "2026-08..2026-11", at(2026, 12, 1, 12))
    assert [(r.kind, r.month.label) for r in report.rights] == [
        ("review", "2026-09"),
        ("termination", "2026-11"),
    ]


def test_pluvo_more_than_two_missed_times_call_for_a_review(engine: Engine) -> None:
    """Pluvo 7.2: three missed response times in the period: review, availability or not.
    (P3s, which do not count as down: response 3 h, acknowledged 4 h after the report.)"""

    def build(desk: Desk) -> None:
        for day in (3, 4, 5):
            incident = desk.open("stadtwerke", "P3", at(2026, 11, day, 9))
            desk.ack(incident, at(2026, 11, day, 13))
            desk.resolve(incident, at(2026, 11, day, 14))

    report = _report(engine, build, "stadtwerke", "2026-11", at(2026, 12, 1, 12))
    assert report.months[0].percent == 100 and report.missed_targets == 3
    (review,) = report.rights
    assert (review.kind, review.basis, review.missed_targets) == ("review", "missed_targets", 3)


# -- Klik: 24x7 without its maintenance windows (1.1, 1.2, 4.2, 4.6) -------------------------


def _klik_maintenance(desk: Desk, starts: datetime, ends: datetime, announced: datetime) -> None:
    customer = desk.session.get(Customer, "scholengroep")
    assert customer is not None
    add_maintenance(
        session=desk.session,
        customer=customer,
        starts_at=starts,
        ends_at=ends,
        announced_at=announced,
        note="urgent update",
        recorded_by="Sam",
        now=max(announced, starts),
    )


def test_klik_leaves_out_announced_maintenance_in_its_windows(engine: Engine) -> None:
    """Klik 1.1/2.1: urgent maintenance announced for Tue 24 Nov 22:00-23:30 (inside the
    Mon-Fri 22:00-24:00 window) is left out: 720 h - 1.5 h = 718.5 h measured. The P1 outage
    21:00-23:30 counts until 22:00: 1 h down, 717.5/718.5 = 99.861 % (target 99 %)."""

    def build(desk: Desk) -> None:
        _klik_maintenance(
            desk, at(2026, 11, 24, 22), at(2026, 11, 24, 23, 30), announced=at(2026, 11, 24, 9)
        )
        desk.outage("scholengroep", "P1", at(2026, 11, 24, 21), at(2026, 11, 24, 23, 30))

    report = _report(engine, build, "scholengroep", "2026-11", at(2026, 12, 1, 12))
    (window,) = report.months[0].windows
    assert (window.measured, window.excluded, window.down) == (
        718.5 * HOUR,
        1.5 * HOUR,
        1 * HOUR,
    )
    assert report.months[0].percent == pytest.approx(100 * 717.5 / 718.5)
    assert (window.target, window.aimed, window.met) == (99, 99.9, True)


def test_klik_counts_its_windows_when_nothing_was_announced(engine: Engine) -> None:
    """No maintenance announced: the windows are measured like any hour, so an outage Wed
    22:00-23:00 local counts in full: 719/720 = 99.861 %."""
    report = _report(
        engine,
        lambda desk: desk.outage("scholengroep", "P1", at(2026, 11, 25, 22), at(2026, 11, 25, 23)),
        "scholengroep",
        "2026-11",
        at(2026, 12, 1, 12),
    )
    (window,) = report.months[0].windows
    assert (window.measured, window.excluded, window.down) == (720 * HOUR, 0, 1 * HOUR)


def test_klik_a_data_leak_is_p1_but_no_outage(engine: Engine) -> None:
    """Klik 7.4: P1 is a total outage or a large data leak. Only the outage takes the service
    down: a leak Tue 10:00 to Wed 10:00 leaves November at 100 %, the outage 10:00-11:00 the
    next Tuesday costs an hour: 719/720."""

    def build(desk: Desk) -> None:
        leak = {"impact": "data_leak"}
        desk.outage("scholengroep", "P1", at(2026, 11, 10, 10), at(2026, 11, 11, 10), leak)
        desk.outage(
            "scholengroep", "P1", at(2026, 11, 17, 10), at(2026, 11, 17, 11), {"impact": "outage"}
        )

    report = _report(engine, build, "scholengroep", "2026-11", at(2026, 12, 1, 12))
    (november,) = report.months
    (window,) = november.windows
    assert (window.measured, window.down) == (720 * HOUR, 1 * HOUR)
    assert november.outages == ("KLIK-2",)


@pytest.mark.parametrize(
    ("down_seconds", "percent", "credit"),
    [(28_512, 98.9, False), (28_513, 98.8999, True)],
)
def test_plek_at_and_just_below_its_credit_threshold(
    engine: Engine, down_seconds: int, percent: float, credit: bool
) -> None:
    """April has 720 h = 2,592,000 s; 28,512 s down is exactly 98.9 % (no credit: the credit is
    for *below* 98.9 %). One second more is 98.89996 %: a credit, and the figure reads 98.8999,
    never "98.9 % is below 98.9 %"."""
    start = at(2026, 4, 6, 8)
    report = _report(
        engine,
        lambda desk: desk.outage("acme", "P1", start, start + timedelta(seconds=down_seconds)),
        "acme",
        "2026-04",
        at(2026, 5, 4, 12),
    )
    (april,) = report.months
    assert april.percent == percent
    assert [r.kind for r in report.rights] == (["credit"] if credit else [])


def test_klik_maintenance_told_afterwards_or_outside_its_windows_is_downtime(
    engine: Engine,
) -> None:
    """Urgent maintenance told only afterwards (4.5) is not left out, nor is announced work
    outside the windows (Wed 14:00-15:00 local): both outages count, 2 h in all."""

    def build(desk: Desk) -> None:
        _klik_maintenance(
            desk, at(2026, 11, 24, 22), at(2026, 11, 24, 23), announced=at(2026, 11, 24, 23, 30)
        )
        desk.outage("scholengroep", "P1", at(2026, 11, 24, 22), at(2026, 11, 24, 23))
        _klik_maintenance(
            desk, at(2026, 11, 25, 14), at(2026, 11, 25, 15), announced=at(2026, 11, 20, 9)
        )
        desk.outage("scholengroep", "P1", at(2026, 11, 25, 14), at(2026, 11, 25, 15))

    report = _report(engine, build, "scholengroep", "2026-11", at(2026, 12, 1, 12))
    (window,) = report.months[0].windows
    assert (window.measured, window.excluded, window.down) == (720 * HOUR, 0, 2 * HOUR)


# -- Infravision: inside and outside support hours, interruptions (3.1) ---------------------


def test_infravision_measures_inside_and_outside_support_hours_and_counts_interruptions(
    engine: Engine,
) -> None:
    """November: 21 x 9 h = 189 h of support hours, 531 h outside. Top down Tue 24 Nov
    17:00-19:00 (0.5 h inside, 1.5 h outside; a second Top 17:30-18:30 is the same outage) and
    three nights 02:00-02:30: four interruptions, one more than allowed."""

    def build(desk: Desk) -> None:
        desk.outage("gemeente", "Top", at(2026, 11, 24, 17), at(2026, 11, 24, 19))
        desk.outage("gemeente", "Top", at(2026, 11, 24, 17, 30), at(2026, 11, 24, 18, 30))
        for day in (25, 26, 27):
            desk.outage("gemeente", "Top", at(2026, 11, day, 2), at(2026, 11, day, 2, 30))

    report = _report(engine, build, "gemeente", "2026-11", at(2026, 12, 1, 12))
    (november,) = report.months
    inside, outside = november.windows
    assert (inside.window, inside.measured, inside.down) == ("office", 189 * HOUR, 0.5 * HOUR)
    assert (outside.window, outside.measured, outside.down) == (
        "outside_office",
        531 * HOUR,
        3 * HOUR,
    )
    assert inside.percent == pytest.approx(100 * (1 - 0.5 / 189))
    assert outside.percent == pytest.approx(100 * (1 - 3 / 531))
    assert (november.interruptions, report.max_interruptions) == (4, 3)


# -- corrections and exclusions ----------------------------------------------------------------


def test_staff_correct_an_outage_leave_one_out_and_count_another(engine: Engine) -> None:
    """PLEK-1 (P1 10:00-12:00) began at 09:00 in fact: 3 h; PLEK-2 (P1) was force majeure:
    left out; PLEK-3 (P2 14:00-15:00) took the service down after all: 1 h more."""

    def build(desk: Desk) -> None:
        first = desk.outage("acme", "P1", at(2026, 10, 6, 10), at(2026, 10, 6, 12))
        second = desk.outage("acme", "P1", at(2026, 10, 7, 10), at(2026, 10, 7, 12))
        third = desk.outage("acme", "P2", at(2026, 10, 8, 14), at(2026, 10, 8, 15))
        now = at(2026, 10, 9, 10)
        for incident, change in (
            (first, {"started_at": at(2026, 10, 6, 9)}),
            (second, {"counts": False}),
            (third, {"counts": True}),
        ):
            correct_outage(
                session=desk.session,
                incident=incident,
                actor=STAFF,
                reason="checked the logs",
                now=now,
                **change,  # type: ignore[arg-type]
            )

    report = _report(engine, build, "acme", "2026-10", at(2026, 11, 2, 10))
    assert report.months[0].windows[0].down == 4 * HOUR
    assert [(o.ref, o.corrected) for o in report.outages] == [("PLEK-1", True), ("PLEK-3", True)]
    assert report.outages[0].started_at == at(2026, 10, 6, 9)


def test_perplex_promises_no_availability(engine: Engine) -> None:
    """Perplex has no availability clause: NoAvailability."""
    with pytest.raises(NoAvailability):
        _report(engine, lambda desk: None, "zorggroep", "2026-11", at(2026, 11, 24, 10))
