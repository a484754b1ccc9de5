"""The small pieces reports are worded with, in the reader's language: percentages, months,
periods, durations, shares, headings and aligned columns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sla.i18n import Translator
from sla.policy import Policy
from sla.report_period import Month, Period
from sla.reports import Share

DASH = "—"


def kind_name(t: Translator, policy: Policy, kind: str) -> str:
    """``P2 · Prioriteit 2`` for a priority, just the label where it already says the id
    (``P1``, ``Top (1)``); the label of a request type otherwise."""
    if kind in policy.doc.priorities:
        label = policy.doc.priorities[kind].label.get(t.lang)
        return label if label.startswith(kind) else f"{kind} · {label}"
    rtype = policy.request_types.get(kind)
    return rtype.label.get(t.lang) if rtype else kind


def pct(t: Translator, value: float | None) -> str:
    if value is None:
        return DASH
    return t._("{value} %", value=t.number(floored(value, 3)))


def floored(value: float, places: int) -> float:
    """``value`` rounded down to ``places`` decimals (as written: ``98.9`` stays ``98.9``), so
    that a figure just below a threshold never reads as the threshold itself."""
    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_FLOOR))


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


def heading(
    t: Translator, title: str, name: str, period: Period, end: datetime, to_date: bool, tz: str
) -> str:
    line = t._(
        "{title} · {customer} · {period}", title=title, customer=name, period=period_name(t, period)
    )
    if to_date:
        line += " " + t._("(up to {when})", when=t.datetime(end, tz))
    return line


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
