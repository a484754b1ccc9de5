"""A customer's incidents and audit trail exported with every field, on both engines."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.exports import event_columns, export_events, export_incidents, incident_columns, rows_csv
from sla.models import Customer, Incident
from sla.outages import correct_outage
from tests.conftest import load_demo_directory
from tests.desk import STAFF, Desk, at


def _build(engine: Engine) -> None:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        desk = Desk(session)
        first = desk.open("acme", "P1", at(2026, 11, 2, 10))
        desk.ack(first, at(2026, 11, 2, 10, 5))
        desk.wait(first, at(2026, 11, 2, 11))
        desk.resume(first, at(2026, 11, 2, 11, 30))
        desk.resolve(first, at(2026, 11, 2, 12))
        correct_outage(
            session=session,
            incident=first,
            actor=STAFF,
            reason="monitoring",
            now=at(2026, 11, 3, 9),
            started_at=at(2026, 11, 2, 9, 45),
        )
        desk.open("acme", "P2", at(2026, 11, 3, 10))
        desk.open("gemeente", "Low", at(2026, 11, 3, 10))  # another customer's


def test_incidents_carry_every_column_and_what_makes_ids_readable(engine: Engine) -> None:
    """Every incident column, the reporter's handle, pauses and the outage correction."""
    _build(engine)
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        rows = export_incidents(session, acme)
    assert [r["ref"] for r in rows] == ["PLEK-1", "PLEK-2"]
    assert set(Incident.model_fields) <= set(rows[0]) and list(rows[0]) == incident_columns()
    first = rows[0]
    assert first["reporter_handle"] == "anna" and first["status"] == "resolved"
    assert first["reported_at"] == "2026-11-02T09:00:00+00:00"
    assert first["pauses"] == [
        {"started_at": "2026-11-02T10:00:00+00:00", "ended_at": "2026-11-02T10:30:00+00:00"}
    ]
    assert first["outage"]["started_at"] == "2026-11-02T08:45:00+00:00"
    assert first["outage"]["reason"] == "monitoring" and rows[1]["outage"] is None


def test_events_are_the_whole_audit_trail_in_order(engine: Engine) -> None:
    """Each event with every column and its incident's ref, only this customer's."""
    _build(engine)
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        rows = export_events(session, acme)
    assert [(r["incident_ref"], r["kind"]) for r in rows] == [
        ("PLEK-1", "reported"),
        ("PLEK-1", "acknowledged"),
        ("PLEK-1", "waiting"),
        ("PLEK-1", "resumed"),
        ("PLEK-1", "resolved"),
        ("PLEK-1", "outage_corrected"),
        ("PLEK-2", "reported"),
    ]
    assert list(rows[0]) == event_columns() and rows[0]["actor_name"] == "Anna de Vries"


def test_csv_holds_structured_values_as_json(engine: Engine) -> None:
    """In CSV, answers, pauses and event data are JSON text that reads back."""
    _build(engine)
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        text = rows_csv(incident_columns(), export_incidents(session, acme))
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == incident_columns()
    assert json.loads(table[0]["pauses"])[0]["ended_at"] == "2026-11-02T10:30:00+00:00"
    assert json.loads(table[0]["fields"]) == {"description": "test"}
    assert table[1]["resolved_at"] == ""
