"""Reports as JSON and CSV: fixed keys, ISO times in the policy's zone, seconds and percents."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.models import Customer
from sla.report_formats import (
    AVAILABILITY_COLUMNS,
    COMPLIANCE_COLUMNS,
    availability_csv,
    availability_json,
    compliance_csv,
    compliance_json,
)
from sla.report_period import parse_period
from sla.reports import ComplianceReport, compliance_report
from sla.reports_availability import AvailabilityReport, availability_report
from tests.conftest import load_demo_directory
from tests.desk import Desk, at

NOW = at(2026, 11, 24, 10)


@pytest.fixture
def reports(sqlite_engine: Engine) -> tuple[ComplianceReport, AvailabilityReport]:
    """Plek in October: a 9-hour P1 outage resolved 5 h late (a credit), a P3 without target."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        desk = Desk(session)
        desk.outage("acme", "P1", at(2026, 10, 6, 8), at(2026, 10, 6, 17))
        desk.open("acme", "P3", at(2026, 10, 7, 8))
    with session_scope(sqlite_engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        period = parse_period("2026-10")
        return (
            compliance_report(session, acme, period, NOW),
            availability_report(session, acme, period, NOW),
        )


def test_compliance_json(reports: tuple[ComplianceReport, AvailabilityReport]) -> None:
    """Head, rows per priority, the yearly target, misses with lateness in seconds."""
    data = json.loads(json.dumps(compliance_json(reports[0])))
    assert data["report"] == "compliance" and data["customer"] == {
        "id": "acme",
        "name": "Acme Media BV",
    }
    assert (data["period"], data["start"], data["to_date"]) == (
        "2026-10",
        "2026-10-01T00:00:00+02:00",
        False,
    )
    assert data["priorities"][0]["resolution"] == {
        "met": 0,
        "missed": 1,
        "pending": 0,
        "no_target": 0,
        "not_started": 0,
        "percent": 0.0,
    }
    target = data["targets"][0]
    assert (target["period"], target["comparison"], target["met"]) == ("2026", "gt", False)
    (miss,) = data["misses"]
    # P1 08:00 (before opening): 4 office hours from 08:30 -> due 12:30; resolved 17:00.
    assert (miss["ref"], miss["due"], miss["late_seconds"], miss["late_clock_seconds"]) == (
        "PLEK-1",
        "2026-10-06T12:30:00+02:00",
        16200,
        16200,
    )
    assert [i["ref"] for i in data["incidents"]] == ["PLEK-1", "PLEK-2"]


def test_compliance_csv_has_a_row_per_incident(
    reports: tuple[ComplianceReport, AvailabilityReport],
) -> None:
    """One row per incident, both targets side by side; empty cells where nothing applies."""
    rows = list(csv.DictReader(io.StringIO(compliance_csv(reports[0]))))
    assert tuple(rows[0]) == COMPLIANCE_COLUMNS
    assert (rows[0]["resolution_status"], rows[0]["resolution_late_seconds"]) == ("missed", "16200")
    assert (rows[1]["priority"], rows[1]["resolution_status"], rows[1]["resolution_due"]) == (
        "P3",
        "none",
        "",
    )


def test_availability_json_and_csv(reports: tuple[ComplianceReport, AvailabilityReport]) -> None:
    """Per month and window: measured time, downtime, the figure, and the credit it gives."""
    data = availability_json(reports[1])
    (month,) = data["months"]
    (window,) = month["windows"]
    assert (window["measured_seconds"], window["downtime_seconds"]) == (745 * 3600, 9 * 3600)
    assert window["percent"] == round(100 * (1 - 9 / 745), 4)
    (credit,) = data["rights"]
    assert (credit["right"], credit["claim_by"]) == ("credit", "2026-12-01T00:00:00+01:00")
    assert data["outages"][0]["seconds"] == 9 * 3600
    (row,) = csv.DictReader(io.StringIO(availability_csv(reports[1])))
    assert tuple(row) == AVAILABILITY_COLUMNS
    assert (row["month"], row["met"], row["credit_percent"], row["outages"]) == (
        "2026-10",
        "false",
        "1.0",
        "PLEK-1",
    )
