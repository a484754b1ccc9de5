"""Reports as JSON and CSV: fixed keys, ISO times in the policy's zone, seconds and percents."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

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


SHARE = ("met", "missed", "pending", "no_target", "not_started", "percent")
TARGET = ("status", "clock", "started_at", "due", "done_at", "late_seconds", "late_clock_seconds")
HEADER = (
    "row",
    "priority",
    "priorities",
    "incidents",
    *(f"response_{field}" for field in SHARE),
    *(f"resolution_{field}" for field in SHARE),
    "period",
    "start",
    "end",
    "to_date",
    "percent",
    "comparison",
    "measure",
    "clause",
    "met",
    "ref",
    "reported_at",
    "status",
    *(f"response_{field}" for field in TARGET),
    *(f"resolution_{field}" for field in TARGET),
)
SUMMARY = ("priority", "priorities", "incidents", "resolution_met", "resolution_missed")


def _csv(report: ComplianceReport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(compliance_csv(report))))


def _summary(rows: list[dict[str, str]], *columns: str) -> list[tuple[str, ...]]:
    return [(r["row"], *(r[c] for c in columns)) for r in rows if r["row"] != "incident"]


def test_compliance_csv_lists_priorities_then_targets_then_incidents(
    reports: tuple[ComplianceReport, AvailabilityReport],
) -> None:
    """One header; a row per Plek priority (P3 and P4 too), the yearly target pooling P1 and P2,
    then a row per incident. PLEK-1 (P1) missed its resolution: 0 of 1 measured is 0.0 %; PLEK-2
    (P3) has no resolution time and Plek no response time, so both count as no_target. The
    target pools the P1 and P2 calls of 2026 until now, PLEK-1 alone: 0 of 1, not more than 80 %.
    """
    text = compliance_csv(reports[0])
    assert text.split("\r\n", 1)[0] == ",".join(HEADER) and COMPLIANCE_COLUMNS == HEADER
    rows = _csv(reports[0])
    assert [r["row"] for r in rows] == [*["priority"] * 4, "target", "incident", "incident"]
    assert _summary(rows, *SUMMARY, "resolution_no_target", "resolution_percent") == [
        ("priority", "P1", "", "1", "0", "1", "0", "0.0"),
        ("priority", "P2", "", "0", "0", "0", "0", ""),
        ("priority", "P3", "", "1", "0", "0", "1", ""),
        ("priority", "P4", "", "0", "0", "0", "0", ""),
        ("target", "", "P1 P2", "1", "0", "1", "0", "0.0"),
    ]
    # Plek states no response time: every call is no_target, and the target measures none.
    assert [(r["response_no_target"], r["response_percent"]) for r in rows[:5]] == [
        ("1", ""),
        ("0", ""),
        ("1", ""),
        ("0", ""),
        ("", ""),
    ]
    target = {
        "period": "2026",
        "start": "2026-01-01T00:00:00+01:00",
        "end": "2026-11-24T10:00:00+01:00",
        "to_date": "true",
        "percent": "80.0",
        "comparison": "gt",
        "measure": "resolution",
        "clause": "2.2.4 noot 1",
        "met": "false",
    }
    assert {c: rows[4][c] for c in target} == target
    # Summary rows leave the incident columns empty, incident rows the summary columns.
    summary_columns = HEADER[HEADER.index("priorities") : HEADER.index("ref")]
    incident_columns = HEADER[HEADER.index("ref") :]
    assert {r[c] for r in rows[:5] for c in incident_columns} == {""}
    assert {r[c] for r in rows[5:] for c in summary_columns} == {""}
    first, second = rows[5:]
    assert (first["ref"], first["priority"], first["resolution_status"]) == (
        "PLEK-1",
        "P1",
        "missed",
    )
    assert first["resolution_late_seconds"] == "16200"
    assert (second["priority"], second["resolution_status"], second["resolution_due"]) == (
        "P3",
        "none",
        "",
    )


def _flat(data: dict[str, Any]) -> dict[str, str]:
    """A JSON object as the CSV should write it: nested keys joined with _, lists with spaces."""
    cells: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            cells.update({f"{key}_{k}": v for k, v in _flat(value).items()})
        elif key in ("response", "resolution") and value is None:
            cells.update({f"{key}_{k}": "" for k in ("met", "missed", "percent")})
        elif isinstance(value, list):
            cells[key] = " ".join(value)
        elif isinstance(value, bool):
            cells[key] = "true" if value else "false"
        else:
            cells[key] = "" if value is None else str(value)
    return cells


def test_compliance_csv_rows_read_as_the_json(
    reports: tuple[ComplianceReport, AvailabilityReport],
) -> None:
    """Every key of the JSON's priorities, targets and incidents is a column of the same name
    (response.percent is response_percent) with the same value, row for row."""
    data = compliance_json(reports[0])
    rows = _csv(reports[0])
    expected = [
        ("priority", data["priorities"]),
        ("target", data["targets"]),
        ("incident", data["incidents"]),
    ]
    assert [r["row"] for r in rows] == [kind for kind, items in expected for _ in items]
    for row, item in zip(rows, [item for _, items in expected for item in items], strict=True):
        cells = _flat(item)
        assert {key: row[key] for key in cells} == cells


def _plek_november(desk: Desk) -> None:
    # Plek P1: 4 office hours to resolve. Tue 3 Nov 10:00 -> 13:00 and Wed 4 Nov 10:00 -> 12:00
    # within (due 14:00); Thu 5 Nov 10:00 -> 15:00, due 14:00, 1 h = 3600 s late.
    desk.resolve(desk.open("acme", "P1", at(2026, 11, 3, 10)), at(2026, 11, 3, 13))
    desk.resolve(desk.open("acme", "P1", at(2026, 11, 4, 10)), at(2026, 11, 4, 12))
    desk.resolve(desk.open("acme", "P1", at(2026, 11, 5, 10)), at(2026, 11, 5, 15))


def _built(
    engine: Engine, build: Callable[[Desk], None], customer: str, period: str
) -> ComplianceReport:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        build(Desk(session))
    with session_scope(engine) as session:
        found = session.get(Customer, customer)
        assert found is not None
        return compliance_report(session, found, parse_period(period), NOW)


def test_compliance_csv_percentages_are_rounded_as_in_the_json(sqlite_engine: Engine) -> None:
    """2 of 3 P1 calls resolved in time: 200 / 3 = 66.666... %, floored to four places as the
    JSON does, 66.6666 (not 66.6667). The year's pool is the same three calls: not > 80 %."""
    report = _built(sqlite_engine, _plek_november, "acme", "2026-11")
    rows = _csv(report)
    assert _summary(rows, *SUMMARY, "resolution_percent", "met") == [
        ("priority", "P1", "", "3", "2", "1", "66.6666", ""),
        ("priority", "P2", "", "0", "0", "0", "", ""),
        ("priority", "P3", "", "0", "0", "0", "", ""),
        ("priority", "P4", "", "0", "0", "0", "", ""),
        ("target", "", "P1 P2", "3", "2", "1", "66.6666", "false"),
    ]
    data = compliance_json(report)
    assert data["priorities"][0]["resolution"]["percent"] == 66.6666
    assert data["targets"][0]["resolution"]["percent"] == 66.6666
    late = [(r["ref"], r["resolution_late_seconds"]) for r in rows if r["row"] == "incident"]
    assert late == [("PLEK-1", ""), ("PLEK-2", ""), ("PLEK-3", "3600")]


def test_an_empty_period_still_lists_every_priority_and_target(sqlite_engine: Engine) -> None:
    """No incidents at Infravision in September and October 2026: a header, its four priorities
    with 0 incidents, and each monthly target twice (Top alone, High/Medium/Low pooled), without
    a verdict; no incident rows. Pluvo promises no share of calls: priorities only."""
    report = _built(sqlite_engine, lambda desk: None, "gemeente", "2026-09..2026-10")
    rows = _csv(report)
    assert tuple(rows[0]) == HEADER
    assert [r["row"] for r in rows] == [*["priority"] * 4, *["target"] * 4]
    assert _summary(rows, *SUMMARY, "response_percent", "period", "percent", "met") == [
        ("priority", "Top", "", "0", "0", "0", "", "", "", ""),
        ("priority", "High", "", "0", "0", "0", "", "", "", ""),
        ("priority", "Medium", "", "0", "0", "0", "", "", "", ""),
        ("priority", "Low", "", "0", "0", "0", "", "", "", ""),
        ("target", "", "Top", "0", "0", "0", "", "2026-09", "100.0", ""),
        ("target", "", "Top", "0", "0", "0", "", "2026-10", "100.0", ""),
        ("target", "", "High Medium Low", "0", "0", "0", "", "2026-09", "80.0", ""),
        ("target", "", "High Medium Low", "0", "0", "0", "", "2026-10", "80.0", ""),
    ]
    with session_scope(sqlite_engine) as session:
        pluvo = session.get(Customer, "stadtwerke")
        assert pluvo is not None
        empty = compliance_csv(compliance_report(session, pluvo, parse_period("2026-09"), NOW))
    assert empty.startswith(",".join(HEADER) + "\r\n")
    assert [
        (r["row"], r["priority"], r["incidents"]) for r in csv.DictReader(io.StringIO(empty))
    ] == [("priority", kind, "0") for kind in ("P1", "P2", "P3", "P4", "P4-question")]


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
