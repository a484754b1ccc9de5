"""Availability in words: the command line's table, a month or a right in a sentence, outages,
maintenance windows and their notice warnings, in the reader's language."""

from __future__ import annotations

from datetime import datetime

from sla.i18n import Translator
from sla.maintenance import NoticeWarning
from sla.models import MaintenanceWindow
from sla.outages import Outage
from sla.policy import Policy
from sla.report_period import Period
from sla.report_words import DASH, duration, heading, month_name, pct, period_name, table
from sla.reports_availability import AvailabilityReport, MonthFigure, Right, WindowFigure


def window_name(t: Translator, window: str) -> str:
    names = {
        "24x7": t._("around the clock"),
        "office": t._("office hours"),
        "outside_office": t._("outside office hours"),
    }
    return names[window]


def window_text(t: Translator, figure: WindowFigure) -> str:
    mark = {True: "✓", False: "✗", None: ""}[figure.met]
    return f"{pct(t, figure.percent)} {mark}".rstrip()


def month_text(t: Translator, report: AvailabilityReport, figure: MonthFigure) -> str:
    """One month in a sentence, for the chat summary."""
    windows = "; ".join(
        t._(
            "{window} {percent} (target {target})",
            window=window_name(t, w.window),
            percent=pct(t, w.percent),
            target=pct(t, w.target),
        )
        for w in figure.windows
    )
    text = f"{month_name(t, figure.month)}: {windows}"
    if report.max_interruptions is not None:
        text += "; " + t.n_(
            "{n} interruption (at most {limit})",
            "{n} interruptions (at most {limit})",
            figure.interruptions,
            limit=report.max_interruptions,
        )
    return text


def right_text(t: Translator, right: Right, period: Period, tz: str) -> str:
    clause = right.clause or DASH
    if right.kind == "credit":
        text = t._(
            "{month}: {credit} of the monthly fee back ({clause}); availability {percent} is "
            "below {below}",
            month=month_name(t, right.month),
            credit=pct(t, right.credit_percent),
            clause=clause,
            percent=pct(t, right.percents[0]),
            below=pct(t, right.below),
        )
        if right.claim_by is not None:
            text += "; " + t._("claim it before {date}", date=t.date(right.claim_by, tz))
    elif right.basis == "missed_targets":
        text = t._(
            "Review ({clause}): {n} response and resolution times missed in {period}",
            clause=clause,
            n=right.missed_targets or 0,
            period=period_name(t, period),
        )
    else:
        months = ", ".join(
            f"{month_name(t, m)} {pct(t, p)}"
            for m, p in zip(right.months, right.percents, strict=True)
        )
        what = t._("Review") if right.kind == "review" else t._("Right to terminate")
        text = t._(
            "{right} from {month} ({clause}): {n} months in a row below {below}: {months}",
            right=what,
            month=month_name(t, right.month),
            clause=clause,
            n=right.counted_months or len(right.months),
            below=pct(t, right.below),
            months=months,
        )
        for first, second, ref in right.excepted:
            text += "; " + t._(
                "{first} and {second} count as one month: {ref} spans both",
                first=month_name(t, first),
                second=month_name(t, second),
                ref=ref,
            )
    if right.provisional:
        text += " " + t._("(provisional: the month is still running)")
    return text


def outage_text(t: Translator, outage: Outage, now: datetime, tz: str) -> str:
    end = t.datetime(outage.ended_at, tz) if outage.ended_at else t._("ongoing")
    text = t._(
        "{ref} · {start} to {end} ({duration})",
        ref=outage.ref,
        start=t.datetime(outage.started_at, tz),
        end=end,
        duration=duration(t, outage.seconds(now)),
    )
    if outage.corrected:
        text += " · " + t._("corrected: {reason}", reason=outage.reason or DASH)
    return text


def maintenance_text(t: Translator, window: MaintenanceWindow, tz: str) -> str:
    text = t._(
        "#{id} {start} to {end}, announced {announced}",
        id=window.id,
        start=t.datetime(window.starts_at, tz),
        end=t.datetime(window.ends_at, tz),
        announced=t.datetime(window.announced_at, tz),
    )
    if window.note:
        text += f" · {window.note}"
    if window.cancelled_at is not None:
        text += " · " + t._("cancelled {when}", when=t.datetime(window.cancelled_at, tz))
    return text


def warning_text(t: Translator, warning: NoticeWarning, tz: str) -> str:
    p = warning.params
    clause = warning.clause or DASH
    if warning.code == "short_notice":
        return t._(
            "Announced {given} workdays ahead; the contract asks {workdays} ({clause}): "
            "it should have been announced by {when}.",
            given=t.number(round(p["given_workdays"], 1)),
            workdays=p["workdays"],
            clause=clause,
            when=t.datetime(p["announce_by"], tz),
        )
    if warning.code == "inside_office_hours":
        return t._(
            "{duration} of it falls inside office hours; the contract wants maintenance outside "
            "them ({clause}).",
            duration=duration(t, p["office_seconds"]),
            clause=clause,
        )
    if warning.code == "too_long":
        return t._(
            "It lasts {duration}; the contract allows at most {limit} per interruption ({clause}).",
            duration=duration(t, p["seconds"]),
            limit=duration(t, p["max_seconds"]),
            clause=clause,
        )
    if warning.code == "outside_windows":
        return t._(
            "{duration} of it lies outside the contract's maintenance windows: downtime then "
            "counts against availability ({clause}).",
            duration=duration(t, p["seconds"]),
            clause=clause,
        )
    return t._(
        "It was announced after it began, so it does not count as planned maintenance ({clause}).",
        clause=clause,
    )


def availability_table(t: Translator, policy: Policy, report: AvailabilityReport) -> str:
    tz = policy.doc.calendar.timezone
    now = report.generated_at
    lines = [
        heading(
            t,
            t._("Availability"),
            report.customer_name,
            report.period,
            report.end,
            report.to_date,
            tz,
        ),
        "",
    ]
    targets = report.months[0].windows if report.months else ()
    headers = [t._("Month")]
    headers += [
        t._("{window} (target {target})", window=window_name(t, w.window), target=pct(t, w.target))
        for w in targets
    ]
    headers += [t._("Downtime"), t._("Interruptions"), t._("Missed times"), t._("Incidents")]
    rows = []
    for figure in report.months:
        name = month_name(t, figure.month) + (" " + t._("(so far)") if figure.to_date else "")
        interruptions = str(figure.interruptions)
        if report.max_interruptions is not None:
            mark = "✓" if figure.interruptions <= report.max_interruptions else "✗"
            interruptions = f"{interruptions} / {report.max_interruptions} {mark}"
        downtime = sum(w.down for w in figure.windows)  # the windows do not overlap
        rows.append(
            [
                name,
                *(window_text(t, w) for w in figure.windows),
                duration(t, downtime) if downtime else DASH,
                interruptions,
                str(figure.missed_targets),
                ", ".join(figure.outages) or DASH,
            ]
        )
    lines += table(headers, rows)
    lines += ["", t._("Credits and rights")]
    lines += [right_text(t, r, report.period, tz) for r in report.rights] or [t._("none")]
    lines += ["", t.n_("{n} outage", "{n} outages", len(report.outages))]
    lines += [outage_text(t, o, now, tz) for o in report.outages]
    if report.maintenance:
        lines += ["", t._("Planned maintenance")]
        lines += [maintenance_text(t, w, tz) for w in report.maintenance]
    return "\n".join(lines)


def availability_overview(t: Translator, report: AvailabilityReport) -> list[str]:
    """Per measured window: how many months fell below the target, and the lowest month."""
    lines = []
    months = report.months
    for index, first in enumerate(months[0].windows if months else ()):
        figures = [(m, m.windows[index]) for m in months]
        below = [(m, w) for m, w in figures if w.met is False]
        lowest_month, lowest = min(figures, key=lambda pair: pair[1].percent or 100.0)
        text = t._(
            "{window}: {below} of {months} months below {target}; lowest {percent} in {month}",
            window=window_name(t, first.window),
            below=len(below),
            months=len(figures),
            target=pct(t, first.target),
            percent=pct(t, lowest.percent),
            month=month_name(t, lowest_month.month),
        )
        if below:
            text += (
                " ("
                + ", ".join(f"{month_name(t, m.month)} {pct(t, w.percent)}" for m, w in below)
                + ")"
            )
        lines.append(text)
    if report.max_interruptions is not None:
        over = [m for m in months if m.interruptions > report.max_interruptions]
        lines.append(
            t._(
                "Months with more than {limit} interruptions: {months}",
                limit=report.max_interruptions,
                months=", ".join(month_name(t, m.month) for m in over) or t._("none"),
            )
        )
    return lines
