"""Reports in words, in the reader's language: the compliance table and the chat summary.

Every figure shown here comes from :mod:`sla.reports` and :mod:`sla.reports_availability`; this
module only words and aligns them. Availability, outages and maintenance:
:mod:`sla.report_text_availability`.
"""

from __future__ import annotations

from sla.i18n import Translator
from sla.policy import Policy
from sla.report_text_availability import availability_overview, month_text, right_text
from sla.report_words import DASH, duration, heading, kind_name, pct, share_text, table
from sla.reports import Assessment, ComplianceReport, Miss
from sla.reports_availability import AvailabilityReport

SUMMARY_MONTHS = 3  # more months than this are summed up, not listed


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
        heading(
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
    lines += table(headers, rows)
    if report.assessments:
        lines += ["", t._("Targets")]
        lines += [assessment_text(t, a) for a in report.assessments]
    lines += ["", t.n_("{n} miss", "{n} misses", len(report.misses))]
    lines += [miss_text(t, policy, m, tz) for m in report.misses]
    return "\n".join(lines)


def summary(
    t: Translator,
    policy: Policy,
    compliance: ComplianceReport,
    availability: AvailabilityReport | None,
) -> str:
    """A few lines for chat: compliance per priority, the targets, availability and rights."""
    tz = policy.doc.calendar.timezone
    lines = [
        heading(
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
