"""Compliance in words and the chat summary, in Dutch, German and English."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.i18n import translator
from sla.models import Customer
from sla.policy import builtin_policy
from sla.report_period import parse_period
from sla.report_text import compliance_table, summary
from sla.reports import compliance_report
from sla.reports_availability import availability_report
from tests.conftest import load_demo_directory
from tests.desk import Desk, at

PLEK = builtin_policy("plek")


def _plek(engine: Engine, period: str = "2026-07..2026-10") -> tuple[object, object]:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        desk = Desk(session)
        for month in (7, 8, 9, 10):
            desk.outage("acme", "P1", at(2026, month, 15, 8), at(2026, month, 15, 20))
    with session_scope(engine) as session:
        acme = session.get(Customer, "acme")
        assert acme is not None
        now = at(2026, 11, 24, 10)
        return (
            compliance_report(session, acme, parse_period(period), now),
            availability_report(session, acme, parse_period(period), now),
        )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Compliance", "Priority", "more than 80 %", "not met", "3 misses", "7 hours 30"]),
        ("nl", ["Naleving", "Prioriteit", "meer dan 80 %", "niet gehaald", "7 uur 30 minuten"]),
        ("de", ["Einhaltung", "Priorität", "mehr als 80 %", "nicht erreicht", "7 Stunden 30"]),
    ],
)
def test_compliance_table_speaks_the_language(
    sqlite_engine: Engine, lang: str, words: list[str]
) -> None:
    """Headers, the target, the verdict and the lateness in the reader's language (the P1s of
    08:00 are due 12:30 and resolved 20:00, except August's, on a Saturday)."""
    compliance, _availability = _plek(sqlite_engine)
    text = compliance_table(translator(lang), PLEK, compliance)  # type: ignore[arg-type]
    for word in words:
        assert word in text


def test_the_chat_summary_is_short(sqlite_engine: Engine) -> None:
    """More than three months are summed up per window, not listed month by month."""
    compliance, availability = _plek(sqlite_engine)
    text = summary(translator("en"), PLEK, compliance, availability)  # type: ignore[arg-type]
    assert "around the clock: 4 of 4 months below 99.9 %" in text
    assert "P1 · Priority 1: 4 incidents" in text
    assert len(text.splitlines()) < 15
