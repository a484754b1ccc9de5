"""The pieces reports are worded with: percentages, months, periods, shares and columns."""

from __future__ import annotations

import pytest

from sla.i18n import translator
from sla.policy import builtin_policy
from sla.report_period import parse_period
from sla.report_words import DASH, kind_name, month_name, pct, period_name, share_text, table
from sla.reports import Share


@pytest.mark.parametrize(
    ("lang", "percent", "month", "period"),
    [
        ("en", "99.852 %", "Oct 2026", "May 2026 to Oct 2026"),
        ("nl", "99,852 %", "okt 2026", "mei 2026 tot en met okt 2026"),
        ("de", "99,852 %", "Okt 2026", "Mai 2026 bis Okt 2026"),
    ],
)
def test_numbers_months_and_periods_per_language(
    lang: str, percent: str, month: str, period: str
) -> None:
    """Decimal signs, month names and ranges follow the reader's language. A percentage is
    rounded down (99.8525… reads 99.852), so a figure just below a threshold never reads as
    the threshold; one exactly on it keeps its digits."""
    t = translator(lang)
    assert pct(t, 100 * 677 / 678) == percent and pct(t, None) == DASH
    sign = "." if lang == "en" else ","
    assert pct(t, 98.89996) == f"98{sign}899 %" and pct(t, 98.9) == f"98{sign}9 %"
    assert month_name(t, parse_period("2026-10").first) == month
    assert period_name(t, parse_period("2026-05..2026-10")) == period
    assert period_name(t, parse_period("2026")) == "2026"


def test_shares_and_kinds() -> None:
    """A share says met of measured, and what is still running or never started."""
    t = translator("en")
    assert share_text(t, Share()) == DASH
    assert share_text(t, Share(met=3, missed=1, pending=2)) == "3 of 4 (75 %) · 2 still running"
    assert share_text(t, Share(not_started=1)) == "1 without a root cause"
    assert kind_name(t, builtin_policy("plek"), "P1") == "P1 · Priority 1"
    assert kind_name(t, builtin_policy("infravision"), "information") == "Request for information"


def test_columns_are_aligned_and_trimmed() -> None:
    """Each column is as wide as its widest cell; no trailing spaces."""
    assert table(["a", "bb"], [["ccc", "d"], ["e", ""]]) == ["a    bb", "ccc  d", "e"]
