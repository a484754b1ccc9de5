"""Maintenance windows against the notice rules (Plek 2.4.1, Pluvo 5.1, Klik 4.2/4.6), and
recording, listing and cancelling them on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.maintenance import (
    MaintenanceError,
    add_maintenance,
    cancel_maintenance,
    check_notice,
    maintenance_windows,
    planned,
)
from sla.models import Customer, MaintenanceWindow
from sla.policy import builtin_policy
from tests.conftest import load_demo_directory
from tests.desk import at


def _window(start: datetime, end: datetime, announced: datetime) -> MaintenanceWindow:
    return MaintenanceWindow(
        customer_id="x",
        starts_at=start,
        ends_at=end,
        announced_at=announced,
        recorded_by="Sam",
        recorded_at=announced,
    )


def _codes(policy: str, start: datetime, end: datetime, announced: datetime) -> list[str]:
    return [w.code for w in check_notice(builtin_policy(policy), _window(start, end, announced))]


def test_plek_five_workdays_ahead_is_enough() -> None:
    """Announced Tue 24 Nov 10:00 for Tue 1 Dec 22:00: 8 + 3 x 9.5 + 9.5 + 9.5 = 55.5 h of
    office time, more than 5 x 9.5 = 47.5 h; outside office hours: no warning."""
    assert _codes("plek", at(2026, 12, 1, 22), at(2026, 12, 1, 23), at(2026, 11, 24, 10)) == []


def test_plek_short_notice_says_by_when_it_should_have_been_announced() -> None:
    """For Mon 30 Nov 22:00 the same announcement gives 46 h = 4.84 workdays; it had to be made
    by Tue 24 Nov 08:30, the opening after the moment five workdays before."""
    (warning,) = check_notice(
        builtin_policy("plek"),
        _window(at(2026, 11, 30, 22), at(2026, 11, 30, 23), at(2026, 11, 24, 10)),
    )
    assert (warning.code, warning.clause) == ("short_notice", "2.4.1")
    assert warning.params["workdays"] == 5
    assert warning.params["given_workdays"] == pytest.approx(46 / 9.5)
    assert warning.params["announce_by"] == at(2026, 11, 24, 8, 30)


def test_plek_maintenance_inside_office_hours_is_warned() -> None:
    """Plek 2.4.1: Mon 30 Nov 17:00-19:00 has 1 h inside office hours (until 18:00)."""
    (warning,) = check_notice(
        builtin_policy("plek"),
        _window(at(2026, 11, 30, 17), at(2026, 11, 30, 19), at(2026, 11, 2, 9)),
    )
    assert (warning.code, warning.params["office_seconds"]) == ("inside_office_hours", 3600)


def test_pluvo_needs_no_notice_outside_business_hours() -> None:
    """Pluvo 5.1: 20 minutes on Saturday evening, announced two days before: fine."""
    assert (
        _codes("pluvo", at(2026, 11, 28, 22), at(2026, 11, 28, 22, 20), at(2026, 11, 26, 9)) == []
    )


def test_pluvo_inside_business_hours_needs_28_workdays_and_at_most_30_minutes() -> None:
    """Thu 26 Nov 10:00-11:00 announced two days before: 28 workdays back is Mon 19 Oct 10:00,
    and an hour is longer than the 30 minutes one interruption may last."""
    short, long = check_notice(
        builtin_policy("pluvo"),
        _window(at(2026, 11, 26, 10), at(2026, 11, 26, 11), at(2026, 11, 24, 10)),
    )
    assert (short.code, short.params["announce_by"]) == ("short_notice", at(2026, 10, 19, 10))
    assert (long.code, long.params["seconds"], long.params["max_seconds"]) == (
        "too_long",
        3600,
        1800,
    )


def test_klik_maintenance_outside_its_windows_is_warned() -> None:
    """Klik 4.2/4.6: Fri 27 Nov 21:00-23:00 has an hour before the 22:00 window."""
    assert _codes("klik", at(2026, 11, 27, 22), at(2026, 11, 27, 23), at(2026, 11, 20, 9)) == []
    (warning,) = check_notice(
        builtin_policy("klik"),
        _window(at(2026, 11, 27, 21), at(2026, 11, 27, 23), at(2026, 11, 20, 9)),
    )
    assert (warning.code, warning.params["seconds"]) == ("outside_windows", 3600)


def test_announced_after_it_began_is_not_planned() -> None:
    """Maintenance announced after its start is warned about and not planned maintenance."""
    window = _window(at(2026, 12, 5, 22), at(2026, 12, 5, 23), at(2026, 12, 5, 22, 10))
    assert "announced_after_start" in [w.code for w in check_notice(builtin_policy("plek"), window)]
    assert not planned(window)
    assert planned(_window(at(2026, 12, 5, 22), at(2026, 12, 5, 23), at(2026, 12, 1, 9)))


def test_record_list_and_cancel(engine: Engine) -> None:
    """Recorded windows are listed by start; a cancelled one stays on record but is not listed."""
    load_demo_directory(engine)
    now = at(2026, 11, 24, 10)
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        late, warnings = add_maintenance(
            session=session,
            customer=acme,
            starts_at=at(2026, 12, 8, 22),
            ends_at=at(2026, 12, 8, 23),
            announced_at=None,
            note="database",
            recorded_by="Sam",
            now=now,
        )
        assert late.announced_at == now and warnings == []
        early, warnings = add_maintenance(
            session=session,
            customer=acme,
            starts_at=at(2026, 11, 26, 22),
            ends_at=at(2026, 11, 26, 23),
            announced_at=None,
            note=None,
            recorded_by="Sam",
            now=now,
        )
        assert [w.code for w in warnings] == ["short_notice"]
        assert early.id is not None and late.id is not None
        cancel_maintenance(
            session=session, customer=acme, window_id=early.id, cancelled_by="Sam", now=now
        )
        with pytest.raises(MaintenanceError) as again:
            cancel_maintenance(
                session=session, customer=acme, window_id=early.id, cancelled_by="Sam", now=now
            )
        assert again.value.code == "already_cancelled"
    with session_scope(engine) as session:
        assert [w.note for w in maintenance_windows(session, "acme")] == ["database"]
        listed = maintenance_windows(session, "acme", cancelled=True)
        assert [w.id for w in listed] == [early.id, late.id]
        assert listed[0].cancelled_by == "Sam" and listed[0].starts_at == at(2026, 11, 26, 22)
        assert maintenance_windows(session, "acme", start=at(2026, 12, 9)) == []


@pytest.mark.parametrize(
    ("start", "end", "announced", "code"),
    [
        (at(2026, 12, 8, 23), at(2026, 12, 8, 22), None, "ends_before_start"),
        (at(2026, 12, 8, 22), at(2026, 12, 8, 23), at(2026, 11, 25), "announced_in_future"),
        (at(2030, 12, 8, 22), at(2030, 12, 8, 23), None, "out_of_range"),
        (at(2026, 12, 1), at(2027, 2, 1), None, "out_of_range"),
    ],
)
def test_impossible_windows_are_refused(
    sqlite_engine: Engine, start: datetime, end: datetime, announced: datetime | None, code: str
) -> None:
    """A window that ends first, is announced in the future, lies years away or lasts months."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        with pytest.raises(MaintenanceError) as refused:
            add_maintenance(
                session=session,
                customer=acme,
                starts_at=start,
                ends_at=end,
                announced_at=announced,
                note=None,
                recorded_by="Sam",
                now=at(2026, 11, 24, 10),
            )
        assert refused.value.code == code
