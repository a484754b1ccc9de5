"""Outages incidents record, and staff's corrections with their audit trail, on both engines."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from sla.db import session_scope
from sla.models import Customer, IncidentEvent
from sla.outages import correct_outage, correction_of, outage_of, outages
from sla.policy import builtin_policy
from sla.service import ServiceError
from tests.conftest import load_demo_directory
from tests.desk import STAFF, Desk, at

PLEK = builtin_policy("plek")


def test_a_down_priority_records_report_to_resolution(engine: Engine) -> None:
    """Plek P1 records an outage from report to resolution; P2 none; an open P1 lasts."""
    load_demo_directory(engine)
    with session_scope(engine) as session:
        desk = Desk(session)
        p1 = desk.outage("acme", "P1", at(2026, 11, 2, 10), at(2026, 11, 2, 12))
        p2 = desk.outage("acme", "P2", at(2026, 11, 3, 10), at(2026, 11, 3, 12))
        desk.outage("acme", "P1", at(2026, 11, 4, 10), None)
        recorded = outage_of(p1, None, PLEK)
        assert recorded is not None and recorded.seconds(at(2026, 12, 1)) == 7200
        assert outage_of(p2, None, PLEK) is None
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        found = outages(session, acme, at(2026, 11, 1), at(2026, 12, 1), at(2026, 11, 4, 11))
        assert [(o.ref, o.ended_at) for o in found] == [
            ("PLEK-1", at(2026, 11, 2, 12)),
            ("PLEK-3", None),
        ]
        assert found[1].seconds(at(2026, 11, 4, 11)) == 3600
        assert outages(session, acme, at(2026, 11, 3), at(2026, 11, 4), at(2026, 11, 5)) == []


def test_corrections_merge_and_are_in_the_audit_trail(engine: Engine) -> None:
    """A start, then an end, then leaving it out: each keeps the others, each is an event."""
    load_demo_directory(engine)
    with session_scope(engine) as session:
        desk = Desk(session)
        incident = desk.outage("acme", "P1", at(2026, 11, 2, 10), at(2026, 11, 2, 12))
        now = at(2026, 11, 5, 9)
        for change in (
            {"started_at": at(2026, 11, 2, 9, 30)},
            {"ended_at": at(2026, 11, 2, 11)},
        ):
            correct_outage(
                session=session,
                incident=incident,
                actor=STAFF,
                reason="monitoring",
                now=now,
                **change,  # type: ignore[arg-type]
            )
        row = correction_of(session, incident)
        outage = outage_of(incident, row, PLEK)
        assert outage is not None and outage.seconds(now) == 5400 and outage.corrected
        correct_outage(
            session=session, incident=incident, actor=STAFF, reason="cause", now=now, counts=False
        )
        assert outage_of(incident, correction_of(session, incident), PLEK) is None
        incident_id = incident.id
    with session_scope(engine) as session:
        events = session.exec(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .where(IncidentEvent.kind == "outage_corrected")
            .order_by(IncidentEvent.id)  # type: ignore[arg-type]
        ).all()
        assert [e.reason for e in events] == ["monitoring", "monitoring", "cause"]
        assert events[-1].data == {
            "started_at": "2026-11-02T08:30:00+00:00",
            "ended_at": "2026-11-02T10:00:00+00:00",
            "counts": False,
        }
        assert events[-1].actor_kind == "staff"


@pytest.mark.parametrize(
    ("change", "reason", "code"),
    [
        ({"ended_at": at(2026, 11, 2, 9)}, "x", "outage_ends_before_start"),
        ({"started_at": at(2026, 11, 2, 13)}, "x", "outage_ends_before_start"),
        ({"started_at": at(2026, 9, 1)}, "x", "outage_out_of_range"),
        ({"ended_at": at(2026, 12, 1)}, "x", "outage_out_of_range"),
        ({"counts": False}, "  ", "reason_required"),
    ],
)
def test_impossible_corrections_are_refused(
    sqlite_engine: Engine, change: dict[str, datetime | bool], reason: str, code: str
) -> None:
    """Ending before the start, a start a month before the report, a time ahead, no reason."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        incident = Desk(session).outage("acme", "P1", at(2026, 11, 2, 10), at(2026, 11, 2, 12))
        with pytest.raises(ServiceError) as refused:
            correct_outage(
                session=session,
                incident=incident,
                actor=STAFF,
                reason=reason,
                now=at(2026, 11, 5, 9),
                **change,  # type: ignore[arg-type]
            )
        assert refused.value.code == code
