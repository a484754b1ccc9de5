"""Reports in words, in the reader's language: the command line's tables and the chat summary.

Every figure shown here comes from :mod:`sla.reports` and :mod:`sla.reports_availability`; this
module only words and aligns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sla.i18n import Translator
from sla.maintenance import NoticeWarning
from sla.models import MaintenanceWindow
from sla.outages import Outage
from sla.policy import Policy
from sla.report_period import Month, Period
from sla.reports import Assessment, ComplianceReport, Miss, Share
from sla.reports_availability import AvailabilityReport, MonthFigure, Right, WindowFigure

DASH = "—"


# -- small pieces ----------------------------------------------------------------------------


def kind_name(t: Translator, policy: Policy, kind: str) -> str:
    """``P1 · Prioriteit 1`` for a priority, the label of a request type otherwise."""
    if kind in policy.doc.priorities:
        return f"{kind} · {policy.doc.priorities[kind].label.get(t.lang)}"
    rtype = policy.request_types.get(kind)
    return rtype.label.get(t.lang) if rtype else kind


def pct(t: Translator, value: float | None) -> str:
    if value is None:
        return DASH
    return t._("{value} %", value=t.number(round(value, 3)))


def month_name(t: Translator, month: Month) -> str:
    return f"{t.month(month.month, 'abbreviated')} {month.year}"


def period_name(t: Translator, period: Period) -> str:
    first, last = period.first, period.last
    if first == last:
        return month_name(t, first)
    if period.label.isdigit():
        return period.label
    return t._("{first} to {last}", first=month_name(t, first), last=month_name(t, last))


def duration(t: Translator, seconds: float) -> str:
    return t.duration(timedelta(seconds=round(seconds)))


def share_text(t: Translator, share: Share) -> str:
    parts = []
    if share.measured:
        parts.append(
            t._(
                "{met} of {measured} ({percent})",
                met=share.met,
                measured=share.measured,
                percent=pct(t, share.percent),
            )
        )
    if share.pending:
        parts.append(t.n_("{n} still running", "{n} still running", share.pending))
    if share.not_started:
        parts.append(
            t.n_(
                "{n} without a root cause",
                "{n} without a root cause",
                share.not_started,
            )
        )
    return " · ".join(parts) or DASH


def _heading(
    t: Translator, title: str, name: str, period: Period, end: datetime, to_date: bool, tz: str
) -> str:
    line = t._(
        "{title} · {customer} · {period}", title=title, customer=name, period=period_name(t, period)
    )
    if to_date:
        line += " " + t._("(up to {when})", when=t.datetime(end, tz))
    return line


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]


# -- compliance ------------------------------------------------------------------------------


def measure_name(t: Translator, measure: str) -> str:
    names = {
        "response": t._("response"),
        "resolution": t._("resolution"),
        "both": t._("response and resolution"),
    }
    return names[measure]


def verdict_text(t: Translator, verdict: bool | None) -> str:
    if verdict is None:
        return t._("nothing to measure yet")
    return t._("met") if verdict else t._("not met")


def assessment_text(t: Translator, item: Assessment) -> str:
    target = item.target
    wanted = pct(t, target.percent)
    goal = (
        t._("more than {percent}", percent=wanted)
        if target.comparison == "gt"
        else t._("at least {percent}", percent=wanted)
    )
    label = item.label + (" " + t._("(so far)") if item.to_date else "")
    figures = [
        f"{measure_name(t, name)} {share_text(t, share)}"
        for name, share in (("response", item.response), ("resolution", item.resolution))
        if share is not None
    ]
    return t._(
        "{period} · {priorities}: {goal} within the {measure} time ({clause}) · {figures} · "
        "{verdict}",
        period=label,
        priorities=", ".join(item.kinds),
        goal=goal,
        measure=measure_name(t, target.measure),
        clause=target.clause or DASH,
        figures="; ".join(figures),
        verdict=verdict_text(t, item.verdict),
    )


def miss_text(t: Translator, policy: Policy, miss: Miss, tz: str) -> str:
    target = miss.target
    assert target.due is not None
    done = (
        t._("done {when}", when=t.datetime(target.done_at, tz))
        if target.done_at is not None
        else t._("still open")
    )
    clock = t._("office clock") if target.clock == "office" else t._("24x7 clock")
    return t._(
        "{ref} · {kind} · {target}: due {due}, {done}; {late} late, {over} over on the {clock}",
        ref=miss.result.ref,
        kind=kind_name(t, policy, miss.result.kind),
        target=measure_name(t, target.name),
        due=t.datetime(target.due, tz),
        done=done,
        late=duration(t, target.late_real or 0.0),
        over=duration(t, target.late_clock or 0.0),
        clock=clock,
    )


def compliance_table(t: Translator, policy: Policy, report: ComplianceReport) -> str:
    tz = policy.doc.calendar.timezone
    lines = [
        _heading(
            t,
            t._("Compliance"),
            report.customer_name,
            report.period,
            report.end,
            report.to_date,
            tz,
        ),
        "",
    ]
    headers = [t._("Priority"), t._("Incidents"), t._("Response in time"), t._("Resolved in time")]
    rows = [
        [
            kind_name(t, policy, row.kind),
            str(row.count),
            share_text(t, row.response),
            share_text(t, row.resolution),
        ]
        for row in report.kinds
    ]
    lines += _table(headers, rows)
    if report.assessments:
        lines += ["", t._("Targets")]
        lines += [assessment_text(t, a) for a in report.assessments]
    lines += ["", t.n_("{n} miss", "{n} misses", len(report.misses))]
    lines += [miss_text(t, policy, m, tz) for m in report.misses]
    return "\n".join(lines)


# -- availability ----------------------------------------------------------------------------


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
        _heading(
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
        downtime = max(w.down for w in figure.windows)
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
    lines += _table(headers, rows)
    lines += ["", t._("Credits and rights")]
    lines += [right_text(t, r, report.period, tz) for r in report.rights] or [t._("none")]
    lines += ["", t.n_("{n} outage", "{n} outages", len(report.outages))]
    lines += [outage_text(t, o, now, tz) for o in report.outages]
    if report.maintenance:
        lines += ["", t._("Planned maintenance")]
        lines += [maintenance_text(t, w, tz) for w in report.maintenance]
    return "\n".join(lines)


# -- the chat summary ------------------------------------------------------------------------

SUMMARY_MONTHS = 3  # more months than this are summed up, not listed


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


def summary(
    t: Translator,
    policy: Policy,
    compliance: ComplianceReport,
    availability: AvailabilityReport | None,
) -> str:
    """A few lines for chat: compliance per priority, the targets, availability and rights."""
    tz = policy.doc.calendar.timezone
    lines = [
        _heading(
            t,
            t._("Report"),
            compliance.customer_name,
            compliance.period,
            compliance.end,
            compliance.to_date,
            tz,
        )
    ]
    for row in compliance.kinds:
        if not row.count:
            continue
        lines.append(
            t.n_(
                "{kind}: {n} incident; response {response}; resolution {resolution}",
                "{kind}: {n} incidents; response {response}; resolution {resolution}",
                row.count,
                kind=kind_name(t, policy, row.kind),
                response=share_text(t, row.response),
                resolution=share_text(t, row.resolution),
            )
        )
    if not any(row.count for row in compliance.kinds):
        lines.append(t._("No incidents in this period."))
    lines += [assessment_text(t, a) for a in compliance.assessments if a.count]
    if compliance.misses:
        lines.append(t.n_("{n} target missed.", "{n} targets missed.", len(compliance.misses)))
    if availability is not None:
        lines.append(t._("Availability:"))
        if len(availability.months) <= SUMMARY_MONTHS:
            lines += [month_text(t, availability, f) for f in availability.months]
        else:
            lines += availability_overview(t, availability)
        lines += [right_text(t, r, availability.period, tz) for r in availability.rights]
    return "\n".join(lines)
