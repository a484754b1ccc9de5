"""Availability in words: the table, rights and notice warnings in Dutch and English."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.i18n import translator
from sla.maintenance import check_notice
from sla.models import Customer, MaintenanceWindow
from sla.policy import builtin_policy
from sla.report_period import parse_period
from sla.report_text_availability import availability_table, right_text, warning_text
from sla.reports_availability import AvailabilityReport, availability_report
from tests.conftest import load_demo_directory
from tests.desk import Desk, at

PLEK = builtin_policy("plek")


def _plek(engine: Engine) -> AvailabilityReport:
    """A 12-hour Plek P1 outage on the 15th of July to October 2026."""
    load_demo_directory(engine)
    with session_scope(engine) as session:
        desk = Desk(session)
        for month in (7, 8, 9, 10):
            desk.outage("acme", "P1", at(2026, month, 15, 8), at(2026, month, 15, 20))
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        return availability_report(
            session, acme, parse_period("2026-07..2026-10"), at(2026, 11, 24, 10)
        )


def test_availability_table_shows_months_rights_and_outages(sqlite_engine: Engine) -> None:
    """Each month with its figure and mark, the credits, the termination right and why."""
    availability = _plek(sqlite_engine)
    text = availability_table(translator("en"), PLEK, availability)
    assert "Oct 2026" in text and "98.389 % ✗" in text  # 1 - 12/744
    assert "Right to terminate from Sep 2026 (6.3): 4 months in a row below 98.9 %" in text
    assert "Oct 2026: 1 % of the monthly fee back (6.3)" in text
    assert "PLEK-4 · Thu 15 Oct 08:00 to Thu 15 Oct 20:00 (12 hours)" in text
    dutch = availability_table(translator("nl"), PLEK, availability)
    assert "Recht op opzegging vanaf sep 2026" in dutch and "98,389 %" in dutch


def test_right_text_names_the_pair_a_single_incident_spans(sqlite_engine: Engine) -> None:
    """Plek 6.3's exception is spelled out with the incident that spans both months."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        desk = Desk(session)
        for month in (7, 10):
            desk.outage("acme", "P1", at(2026, month, 15, 8), at(2026, month, 15, 20))
        desk.outage("acme", "P1", at(2026, 8, 31, 2), at(2026, 9, 1, 22))
    with session_scope(sqlite_engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        report = availability_report(
            session, acme, parse_period("2026-07..2026-10"), at(2026, 11, 2, 10)
        )
    (right,) = [r for r in report.rights if r.kind == "termination"]
    text = right_text(translator("en"), right, report.period, "Europe/Amsterdam")
    assert "Aug 2026 and Sep 2026 count as one month: PLEK-3 spans both" in text


def test_warnings_read_as_sentences() -> None:
    """The notice warning says what was given, what is asked and by when."""
    window = MaintenanceWindow(
        customer_id="acme",
        starts_at=at(2026, 11, 30, 22),
        ends_at=at(2026, 11, 30, 23),
        announced_at=at(2026, 11, 24, 10),
        recorded_by="Sam",
        recorded_at=at(2026, 11, 24, 10),
    )
    (warning,) = check_notice(PLEK, window)
    assert warning_text(translator("en"), warning, "Europe/Amsterdam") == (
        "Announced 4.8 workdays ahead; the contract asks 5 (2.4.1): it should have been "
        "announced by Tue 24 Nov 08:30."
    )
    assert "uiterlijk di 24 nov 08:30" in warning_text(
        translator("nl"), warning, "Europe/Amsterdam"
    )


def test_the_downtime_column_adds_up_the_windows(sqlite_engine: Engine) -> None:
    """Infravision measures inside and outside support hours apart; the table's downtime is
    the month's whole: 1.5 h inside (Tue 10:00-11:30) and 3 h outside (Wed 01:00-04:00)."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        desk = Desk(session)
        desk.outage("gemeente", "Top", at(2026, 11, 24, 10), at(2026, 11, 24, 11, 30))
        desk.outage("gemeente", "Top", at(2026, 11, 25, 1), at(2026, 11, 25, 4))
    with session_scope(sqlite_engine) as session:
        gemeente = session.get(Customer, "gemeente")
        assert gemeente is not None
        report = availability_report(
            session, gemeente, parse_period("2026-11"), at(2026, 12, 1, 12)
        )
    assert [w.down for w in report.months[0].windows] == [5400, 10800]
    text = availability_table(translator("en"), builtin_policy("infravision"), report)
    assert "4 hours 30 minutes" in text
