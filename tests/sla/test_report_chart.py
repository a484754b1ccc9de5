"""The report chart: a PNG with compliance per priority and, where promised, availability."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy.engine import Engine

from sla.db import session_scope
from sla.i18n import translator
from sla.models import Customer
from sla.policy import builtin_policy
from sla.report_chart import chart_png
from sla.report_period import parse_period
from sla.reports import compliance_report
from sla.reports_availability import availability_report
from tests.conftest import load_demo_directory
from tests.desk import Desk, at

NOW = at(2026, 12, 1, 12)


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def test_two_panels_with_two_windows(sqlite_engine: Engine) -> None:
    """Infravision: compliance per priority beside availability inside and outside hours."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        desk = Desk(session)
        desk.outage("gemeente", "Top", at(2026, 11, 24, 17), at(2026, 11, 24, 19))
        desk.ack(desk.open("gemeente", "High", at(2026, 11, 25, 10)), at(2026, 11, 25, 11))
    with session_scope(sqlite_engine) as session:
        gemeente = session.get(Customer, "gemeente")
        assert gemeente is not None
        period = parse_period("2026-09..2026-11")
        compliance = compliance_report(session, gemeente, period, NOW)
        availability = availability_report(session, gemeente, period, NOW)
    image = _png(
        chart_png(translator("nl"), builtin_policy("infravision"), compliance, availability)
    )
    assert image.size == (1100, 460)


def test_one_panel_without_availability(sqlite_engine: Engine) -> None:
    """Perplex promises no availability: the chart has the compliance panel only."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        zorggroep = session.get(Customer, "zorggroep")
        assert zorggroep is not None
        compliance = compliance_report(session, zorggroep, parse_period("2026-11"), NOW)
    image = _png(chart_png(translator("de"), builtin_policy("perplex"), compliance, None))
    assert image.size == (550, 460)
