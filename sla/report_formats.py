"""Reports as data: JSON documents and CSV tables for machines and spreadsheets.

Keys and column names are fixed English identifiers (they are an interface, not prose); times are
ISO 8601 in the policy's time zone, durations whole seconds, shares percentages. The CSV of an
availability report has one row per month and measured window.

The CSV of a compliance report is one table with one header; its first column, ``row``, says what a
row is: ``priority`` (one per priority, in the policy's order, also when it had no incidents),
``target`` (one per compliance target and its own period, a pool of priorities like Plek's P1 and P2
over the calendar year in one row) and ``incident`` (the evidence behind every figure). Each kind
fills its own columns and leaves the others empty. The columns are the JSON's keys, a nested key
joined to its parent with ``_`` (``resolution.percent`` is ``resolution_percent``) and a list
space-separated (``priorities``: ``P1 P2``), so both formats carry the same figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sla.models import MaintenanceWindow
from sla.outages import Outage
from sla.report_incidents import TARGETS, IncidentResult, TargetResult
from sla.report_words import floored
from sla.reports import Assessment, ComplianceReport, KindSummary, Share
from sla.reports_availability import AvailabilityReport, MonthFigure, Right


def iso(moment: datetime | None, zone: tzinfo | None = None) -> str | None:
    """ISO 8601 with its offset; in ``zone`` when given (a report's times in its policy's)."""
    if moment is None:
        return None
    return (moment.astimezone(zone) if zone is not None else moment).isoformat()


def seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def percent(value: float | None) -> float | None:
    return None if value is None else floored(value, 4)


def _share(share: Share | None) -> dict[str, Any] | None:
    if share is None:
        return None
    return {
        "met": share.met,
        "missed": share.missed,
        "pending": share.pending,
        "no_target": share.none,
        "not_started": share.not_started,
        "percent": percent(share.percent),
    }


def _target(result: TargetResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "clock": result.clock,
        "started_at": iso(result.started_at),
        "due": iso(result.due),
        "done_at": iso(result.done_at),
        "late_seconds": seconds(result.late_real),
        "late_clock_seconds": seconds(result.late_clock),
    }


def _incident(result: IncidentResult) -> dict[str, Any]:
    return {
        "ref": result.ref,
        "priority": result.kind,
        "reported_at": iso(result.reported_at),
        "status": result.status,
        "response": _target(result.response),
        "resolution": _target(result.resolution),
    }


def _assessment(item: Assessment) -> dict[str, Any]:
    return {
        "priorities": list(item.kinds),
        "period": item.label,
        "start": iso(item.start),
        "end": iso(item.end),
        "to_date": item.to_date,
        "percent": item.target.percent,
        "comparison": item.target.comparison,
        "measure": item.target.measure,
        "clause": item.target.clause,
        "incidents": item.count,
        "response": _share(item.response),
        "resolution": _share(item.resolution),
        "met": item.verdict,
    }


def _priority(row: KindSummary) -> dict[str, Any]:
    return {
        "priority": row.kind,
        "incidents": row.count,
        "response": _share(row.response),
        "resolution": _share(row.resolution),
    }


def _head(kind: str, report: ComplianceReport | AvailabilityReport) -> dict[str, Any]:
    return {
        "report": kind,
        "customer": {"id": report.customer_id, "name": report.customer_name},
        "policy": report.policy,
        "period": report.period.label,
        "start": iso(report.start),
        "end": iso(report.end),
        "to_date": report.to_date,
        "generated_at": iso(report.generated_at),
    }


def compliance_json(report: ComplianceReport) -> dict[str, Any]:
    return {
        **_head("compliance", report),
        "priorities": [_priority(row) for row in report.kinds],
        "targets": [_assessment(a) for a in report.assessments],
        "misses": [
            {
                "ref": miss.result.ref,
                "priority": miss.result.kind,
                "target": miss.target.name,
                "open": miss.target.done_at is None,
                **_target(miss.target),
            }
            for miss in report.misses
        ],
        "incidents": [_incident(r) for r in report.incidents],
    }


_SHARE_FIELDS = tuple(_share(Share()) or ())  # the keys of a share in the JSON
_TARGET_FIELDS = (
    "status",
    "clock",
    "started_at",
    "due",
    "done_at",
    "late_seconds",
    "late_clock_seconds",
)

COMPLIANCE_COLUMNS = (
    "row",
    # priority and incident rows
    "priority",
    # target rows
    "priorities",
    # priority and target rows
    "incidents",
    *(f"{name}_{field}" for name in TARGETS for field in _SHARE_FIELDS),
    # target rows
    "period",
    "start",
    "end",
    "to_date",
    "percent",
    "comparison",
    "measure",
    "clause",
    "met",
    # incident rows
    "ref",
    "reported_at",
    "status",
    *(f"{name}_{field}" for name in TARGETS for field in _TARGET_FIELDS),
)


def _flat(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A JSON object of the compliance report as a CSV row of ``kind``: ``response`` and
    ``resolution`` spread over prefixed columns (empty when None), lists space-separated."""
    row: dict[str, Any] = {"row": kind}
    for key, value in data.items():
        if key in TARGETS:
            row.update({f"{key}_{field}": cell for field, cell in (value or {}).items()})
        elif isinstance(value, list):
            row[key] = " ".join(value)
        else:
            row[key] = value
    return row


def compliance_csv(report: ComplianceReport) -> str:
    """The priorities, then the targets, then the incidents (see the module's docstring)."""
    rows = [
        *(_flat("priority", _priority(row)) for row in report.kinds),
        *(_flat("target", _assessment(item)) for item in report.assessments),
        *(_flat("incident", _incident(result)) for result in report.incidents),
    ]
    return to_csv(COMPLIANCE_COLUMNS, rows)


def _outage(outage: Outage, now: datetime, zone: tzinfo | None) -> dict[str, Any]:
    return {
        "ref": outage.ref,
        "priority": outage.priority,
        "started_at": iso(outage.started_at, zone),
        "ended_at": iso(outage.ended_at, zone),
        "seconds": seconds(outage.seconds(now)),
        "corrected": outage.corrected,
        "reason": outage.reason,
    }


def _maintenance(window: MaintenanceWindow, zone: tzinfo | None) -> dict[str, Any]:
    return {
        "id": window.id,
        "starts_at": iso(window.starts_at, zone),
        "ends_at": iso(window.ends_at, zone),
        "announced_at": iso(window.announced_at, zone),
        "note": window.note,
    }


def _right(right: Right) -> dict[str, Any]:
    return {
        "right": right.kind,
        "month": right.month.label,
        "clause": right.clause,
        "basis": right.basis,
        "below": right.below,
        "months": [m.label for m in right.months],
        "percents": [percent(p) for p in right.percents],
        "counted_months": right.counted_months,
        "excepted": [{"months": [a.label, b.label], "ref": ref} for a, b, ref in right.excepted],
        "credit_percent": right.credit_percent,
        "claim_by": iso(right.claim_by),
        "missed_targets": right.missed_targets,
        "provisional": right.provisional,
    }


def _month(figure: MonthFigure, max_interruptions: int | None) -> dict[str, Any]:
    return {
        "month": figure.month.label,
        "start": iso(figure.start),
        "end": iso(figure.end),
        "to_date": figure.to_date,
        "windows": [
            {
                "window": w.window,
                "target": w.target,
                "aimed": w.aimed,
                "measured_seconds": seconds(w.measured),
                "downtime_seconds": seconds(w.down),
                "excluded_seconds": seconds(w.excluded),
                "percent": percent(w.percent),
                "met": w.met,
            }
            for w in figure.windows
        ],
        "interruptions": figure.interruptions,
        "interruptions_ok": None
        if max_interruptions is None
        else figure.interruptions <= max_interruptions,
        "outages": list(figure.outages),
        "missed_targets": figure.missed_targets,
    }


def availability_json(report: AvailabilityReport) -> dict[str, Any]:
    now, zone = report.generated_at, report.start.tzinfo
    return {
        **_head("availability", report),
        "max_interruptions_per_month": report.max_interruptions,
        "months": [_month(f, report.max_interruptions) for f in report.months],
        "rights": [_right(r) for r in report.rights],
        "missed_targets": report.missed_targets,
        "outages": [_outage(o, now, zone) for o in report.outages],
        "maintenance": [_maintenance(w, zone) for w in report.maintenance],
    }


AVAILABILITY_COLUMNS = (
    "month",
    "to_date",
    "window",
    "target_percent",
    "measured_seconds",
    "downtime_seconds",
    "excluded_seconds",
    "availability_percent",
    "met",
    "interruptions",
    "max_interruptions",
    "missed_targets",
    "outages",
    "credit_percent",
    "review",
    "termination",
)


def availability_csv(report: AvailabilityReport) -> str:
    rows = []
    for figure in report.months:
        rights = [r for r in report.rights if r.month == figure.month]
        credit = next((r.credit_percent for r in rights if r.kind == "credit"), None)
        for window in figure.windows:
            rows.append(
                {
                    "month": figure.month.label,
                    "to_date": figure.to_date,
                    "window": window.window,
                    "target_percent": window.target,
                    "measured_seconds": seconds(window.measured),
                    "downtime_seconds": seconds(window.down),
                    "excluded_seconds": seconds(window.excluded),
                    "availability_percent": percent(window.percent),
                    "met": window.met,
                    "interruptions": figure.interruptions,
                    "max_interruptions": report.max_interruptions,
                    "missed_targets": figure.missed_targets,
                    "outages": " ".join(figure.outages),
                    "credit_percent": credit,
                    "review": " ".join(r.basis for r in rights if r.kind == "review"),
                    "termination": " ".join(r.basis for r in rights if r.kind == "termination"),
                }
            )
    return to_csv(AVAILABILITY_COLUMNS, rows)


def to_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """RFC 4180 CSV with a header; None is empty, booleans are true/false."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
