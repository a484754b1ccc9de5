"""The report's chart as a PNG: compliance per priority, and availability per month.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state), so
it is safe in the bot's worker threads. matplotlib is imported when a chart is drawn, not before.
"""

from __future__ import annotations

import io

from sla.i18n import Translator
from sla.policy import Policy
from sla.report_text_availability import window_name
from sla.report_words import month_name, period_name
from sla.reports import ComplianceReport
from sla.reports_availability import AvailabilityReport


def chart_png(
    t: Translator,
    policy: Policy,
    compliance: ComplianceReport,
    availability: AvailabilityReport | None,
) -> bytes:
    """Left: the share within the response and resolution targets per priority, with the
    compliance targets as lines. Right (when the contract promises availability): availability
    per month and window, with the targets as lines."""
    from matplotlib.figure import Figure

    panels = 2 if availability is not None else 1
    figure = Figure(figsize=(5.5 * panels, 4.6), dpi=100, layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    figure.suptitle(
        t._(
            "{customer} · {period}",
            customer=compliance.customer_name,
            period=period_name(t, compliance.period),
        )
    )

    left = axes[0]
    rows = [row for row in compliance.kinds if row.response.measured or row.resolution.measured]
    names = [row.kind for row in rows]
    positions = range(len(rows))
    width = 0.38
    response = [row.response.percent or 0.0 for row in rows]
    resolution = [row.resolution.percent or 0.0 for row in rows]
    for offset, values, label, shares in (
        (-width / 2, response, t._("response"), [row.response for row in rows]),
        (width / 2, resolution, t._("resolution"), [row.resolution for row in rows]),
    ):
        bars = left.bar([p + offset for p in positions], values, width, label=label)
        left.bar_label(
            bars, [f"{v:.0f}" if s.measured else "" for v, s in zip(values, shares, strict=True)]
        )
    for target in {a.target.percent for a in compliance.assessments}:
        left.axhline(target, color="black", linestyle="--", linewidth=1)
    left.set_xticks(list(positions), names)
    left.set_ylim(0, 105)
    left.set_ylabel(t._("within target (%)"))
    left.set_title(t._("Compliance per priority"))
    if rows:
        # Below the axes, where it hides no bar.
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    else:
        left.text(
            0.5, 0.5, t._("No incidents in this period."), ha="center", transform=left.transAxes
        )

    if availability is not None:
        right = axes[1]
        months = availability.months
        labels = [month_name(t, m.month) for m in months]
        count = len(months[0].windows) if months else 0
        bar = 0.8 / max(count, 1)
        lowest = 100.0
        for index in range(count):
            values = [m.windows[index].percent or 0.0 for m in months]
            lowest = min([lowest, *values, months[0].windows[index].target])
            right.bar(
                [p + (index - (count - 1) / 2) * bar for p in range(len(months))],
                values,
                bar,
                label=window_name(t, months[0].windows[index].window),
            )
            right.axhline(
                months[0].windows[index].target, color="black", linestyle="--", linewidth=1
            )
        step = -(-len(months) // 12)  # at most a dozen labels: a long period shows every nth
        ticks = list(range(0, len(months), step))
        right.set_xticks(ticks, [labels[i] for i in ticks], rotation=45, ha="right")
        right.set_ylim(max(0.0, lowest - max(0.5, (100 - lowest) * 0.2)), 100.05)
        right.set_ylabel(t._("availability (%)"))
        right.set_title(t._("Availability per month"))
        if count > 1:
            right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
