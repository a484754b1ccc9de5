"""Reports as data: JSON documents and CSV tables for machines and spreadsheets.

Keys and column names are fixed English identifiers (they are an interface, not prose); times are
ISO 8601 in the policy's time zone, durations whole seconds, shares percentages. The CSV of a
compliance report has one row per incident (the evidence behind every figure); the CSV of an
availability report one row per month and measured window.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sla.models import MaintenanceWindow
from sla.outages import Outage
from sla.report_incidents import IncidentResult, TargetResult
from sla.report_words import floored
from sla.reports import Assessment, ComplianceReport, Share
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
        "priorities": [
            {
                "priority": row.kind,
                "incidents": row.count,
                "response": _share(row.response),
                "resolution": _share(row.resolution),
            }
            for row in report.kinds
        ],
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


COMPLIANCE_COLUMNS = (
    "ref",
    "priority",
    "reported_at",
    "status",
    *(
        f"{name}_{field}"
        for name in ("response", "resolution")
        for field in (
            "status",
            "clock",
            "started_at",
            "due",
            "done_at",
            "late_seconds",
            "late_clock_seconds",
        )
    ),
)


def compliance_csv(report: ComplianceReport) -> str:
    rows = []
    for result in report.incidents:
        row: dict[str, Any] = {
            "ref": result.ref,
            "priority": result.kind,
            "reported_at": iso(result.reported_at),
            "status": result.status,
        }
        for name, target in (("response", result.response), ("resolution", result.resolution)):
            row.update({f"{name}_{key}": value for key, value in _target(target).items()})
        rows.append(row)
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
