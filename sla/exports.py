"""A customer's data to take along: every incident with every field, and the whole audit trail.

Every column of the ``incident`` and ``incidentevent`` tables is exported (new columns join
without a change here), plus what a reader needs to make sense of ids: the reporter's and
assignee's handles, the problem's reference, the pauses and the outage correction of each
incident, and the incident reference of each event. Times are ISO 8601 in UTC as stored; in CSV,
structured values (answers, pauses, event data) are JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from sla.models import (
    Contact,
    Customer,
    Incident,
    IncidentEvent,
    IncidentPause,
    OutageCorrection,
    Problem,
    Staff,
)
from sla.report_formats import to_csv


def _columns(model: type[SQLModel]) -> list[str]:
    return [column.name for column in model.__table__.columns]  # type: ignore[attr-defined]


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _row(record: SQLModel, columns: Sequence[str]) -> dict[str, Any]:
    return {name: _value(getattr(record, name)) for name in columns}


INCIDENT_EXTRA = ("reporter_handle", "assignee_handle", "problem_ref", "pauses", "outage")
EVENT_EXTRA = ("incident_ref",)


def incident_columns() -> list[str]:
    return [*_columns(Incident), *INCIDENT_EXTRA]


def event_columns() -> list[str]:
    return [*_columns(IncidentEvent), *EVENT_EXTRA]


def _incidents(session: Session, customer: Customer) -> list[Incident]:
    query = (
        select(Incident)
        .where(Incident.customer_id == customer.id)
        .order_by(col(Incident.reported_at), col(Incident.id))
    )
    return list(session.exec(query))


def export_incidents(session: Session, customer: Customer) -> list[dict[str, Any]]:
    """Every incident of the customer, oldest first, with every field."""
    incidents = _incidents(session, customer)
    ids = [i.id for i in incidents]
    contacts = {c.id: c.handle for c in session.exec(select(Contact))}
    staff = {s.id: s.handle for s in session.exec(select(Staff))}
    problems = {p.id: p.ref for p in session.exec(select(Problem))}
    pauses: dict[int, list[dict[str, Any]]] = {}
    for pause in session.exec(
        select(IncidentPause)
        .where(col(IncidentPause.incident_id).in_(ids))
        .order_by(col(IncidentPause.started_at))
    ):
        pauses.setdefault(pause.incident_id, []).append(
            {"started_at": _value(pause.started_at), "ended_at": _value(pause.ended_at)}
        )
    corrections = {
        c.incident_id: _row(c, [n for n in _columns(OutageCorrection) if n != "incident_id"])
        for c in session.exec(
            select(OutageCorrection).where(col(OutageCorrection.incident_id).in_(ids))
        )
    }
    columns = _columns(Incident)
    rows = []
    for incident in incidents:
        row = _row(incident, columns)
        row["reporter_handle"] = contacts.get(incident.reporter_id)
        row["assignee_handle"] = staff.get(incident.assignee_id)
        row["problem_ref"] = problems.get(incident.problem_id)
        row["pauses"] = pauses.get(incident.id or 0, [])
        row["outage"] = corrections.get(incident.id or 0)
        rows.append(row)
    return rows


def export_events(session: Session, customer: Customer) -> list[dict[str, Any]]:
    """The whole audit trail of the customer's incidents, in the order it was written."""
    query = (
        select(IncidentEvent, Incident.ref)
        .join(Incident, col(Incident.id) == col(IncidentEvent.incident_id))
        .where(Incident.customer_id == customer.id)
        .order_by(col(IncidentEvent.id))
    )
    columns = _columns(IncidentEvent)
    rows = []
    for event, ref in session.exec(query):
        row = _row(event, columns)
        row["incident_ref"] = ref
        rows.append(row)
    return rows


def rows_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """CSV with structured values as JSON text."""
    flat = [
        {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
            for k, v in r.items()
        }
        for r in rows
    ]
    return to_csv(columns, flat)
