"""``/report`` for staff and a customer's contacts, and ``/outage`` for staff, in chat."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from handlers.router import dispatch
from handlers.types import ChatRef, Command, UserRef
from sla.db import session_scope
from tests.chat import ChatDriver
from tests.conftest import load_demo_directory
from tests.desk import Desk, at


def _plek_p1_resolved_late(chat: ChatDriver) -> None:
    """Anna reports a P1 on Tue 24 Nov 10:00; support resolves it at 15:00 (due 14:00)."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    chat.advance(hours=5)
    chat.say("support", "/resolve PLEK-1 Certificaat vernieuwd", chat="support")


def test_a_contact_gets_a_summary_a_chart_and_csvs(chat: ChatDriver) -> None:
    """Anna's /report 2026-11: Dutch summary, a PNG chart and both CSVs of her customer."""
    _plek_p1_resolved_late(chat)
    (reply,) = chat.say("anna", "/report 2026-11")
    assert reply.lang == "nl"
    assert "Acme Media BV · nov 2026" in reply.text
    assert "P1 · Prioriteit 1: 1 incident" in reply.text and "0 van 1 (0 %)" in reply.text
    assert "de klok rond 99,118 % (norm 99,9 %)" in reply.text  # 5 h down in 567 h
    names = [a.name for a in reply.attachments]
    assert names == [
        "acme-2026-11.png",
        "acme-2026-11-compliance.csv",
        "acme-2026-11-availability.csv",
    ]
    png, compliance, availability = reply.attachments
    assert png.mime == "image/png" and png.data.startswith(b"\x89PNG")
    rows = list(csv.DictReader(io.StringIO(compliance.data.decode())))
    incidents = [(r["ref"], r["resolution_status"]) for r in rows if r["row"] == "incident"]
    assert incidents == [("PLEK-1", "missed")]
    p1 = next(r for r in rows if r["row"] == "priority" and r["priority"] == "P1")
    assert (p1["incidents"], p1["resolution_met"], p1["resolution_missed"]) == ("1", "0", "1")
    assert availability.mime == "text/csv"


def test_a_contact_sees_only_their_own_customer(chat: ChatDriver) -> None:
    """Naming their own customer is fine; naming another reads as a period that is not one."""
    chat.report("emma", "1", "1", "1", "Down", "Steps", "yes")
    own = chat.say("anna", "/report acme 2026-11")[0]
    assert "Acme Media BV" in own.text
    other = chat.say("anna", "/report gemeente 2026-11")[0]
    assert "Veldhoven" not in other.text and not other.attachments
    assert "'gemeente 2026-11'" in other.text


def test_plain_users_and_strangers_are_refused(chat: ChatDriver) -> None:
    """Bram is a Plek Gebruiker, not a Beheerder; an unknown person is nobody's contact."""
    for who in ("bram", "stranger"):
        (reply,) = chat.say(who, "/report")
        assert not reply.attachments and reply.ephemeral


def test_staff_name_the_customer(chat: ChatDriver) -> None:
    """Without a customer staff get the list; with one, that customer's report in English."""
    (usage,) = chat.say("support", "/report", chat="support")
    assert "acme, gemeente, scholengroep, stadtwerke, zorggroep" in usage.text
    (reply,) = chat.say("support", "/report gemeente 2026-11", chat="support")
    assert "Municipality of Veldhoven · Nov 2026" in reply.text
    assert "office hours 100 % (target 99.5 %); outside office hours 100 % (target 95 %)" in (
        reply.text
    )


def test_the_default_period_is_the_contracts_reporting_window(chat: ChatDriver) -> None:
    """Pluvo 7.1: Karl's /report covers May to October 2026, in German."""
    (reply,) = chat.say("karl", "/report")
    assert "Mai 2026 bis Okt 2026" in reply.text
    assert reply.attachments[0].name == "stadtwerke-2026-05..2026-10.png"


def test_perplex_has_no_availability_part(chat: ChatDriver) -> None:
    """Perplex promises no availability: a chart and the compliance CSV only."""
    (reply,) = chat.say("petra", "/report 2026-11")
    assert "Beschikbaarheid" not in reply.text
    assert [a.mime for a in reply.attachments] == ["image/png", "text/csv"]


def test_a_period_ahead_is_refused(chat: ChatDriver) -> None:
    """/report 2027 in November 2026 says the period has not begun."""
    (reply,) = chat.say("anna", "/report 2027")
    assert reply.text == "De periode 2027 is nog niet begonnen." and not reply.attachments


def test_staff_correct_an_outage_in_chat(chat: ChatDriver) -> None:
    """/outage shows, corrects (start moved, '-' keeps the end) and leaves out an outage; each
    correction is in the audit trail; contacts may not."""
    _plek_p1_resolved_late(chat)
    (shown,) = chat.say("support", "/outage PLEK-1", chat="support")
    assert shown.text == "PLEK-1 · Tue 24 Nov 10:00 to Tue 24 Nov 15:00 (5 hours)"
    (moved,) = chat.say(
        "support", "/outage PLEK-1 2026-11-24T09:30 - monitoring saw it first", chat="support"
    )
    assert "09:30 to Tue 24 Nov 15:00 (5 hours 30 minutes) · corrected: monitoring" in moved.text
    (left_out,) = chat.say("support", "/outage PLEK-1 exclude power cut", chat="support")
    assert left_out.text == "PLEK-1 is left out of availability: power cut"
    events = [e for e in chat.events("PLEK-1") if e.kind == "outage_corrected"]
    assert [e.actor_name for e in events] == ["Sam Support", "Sam Support"]
    (refused,) = chat.say("anna", "/outage PLEK-1 exclude no")
    assert refused.alert
    (bad,) = chat.say("support", "/outage PLEK-1 2026-11-24T16:00 - later", chat="support")
    assert bad.text == "The outage of PLEK-1 would end before it starts."


TOKENS = [
    "acme",
    "ACME",
    "gemeente",
    "zorggroep",
    "nobody",
    "2026",
    "2026-11",
    "2026-05..2026-10",
    "2026-11..2026-05",
    "1969",
    "1970",
    "9998",
    "1970..9998",
    "2017..2026",
    "add",
    "cancel",
    "list",
    "exclude",
    "include",
    "-",
    "2026-11-30T22:00",
    "2026-11-30T23:00",
    "2026-11-24T09:00+00:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "#1",
    "1",
    "99999999999999999999",
    "PLEK-1",
    "IV-1",
    "🙂",
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    who=st.sampled_from(["anna", "bram", "karl", "petra", "support", "x"]),
    name=st.sampled_from(["report", "maintenance", "outage"]),
    words=st.lists(st.sampled_from(TOKENS), max_size=5),
)
def test_any_arguments_get_an_answer_and_never_an_error(
    sqlite_engine: Engine, who: str, name: str, words: list[str]
) -> None:
    """/report, /maintenance and /outage with any arguments answer in words, without raising."""
    if not getattr(sqlite_engine, "_reports_loaded", False):
        load_demo_directory(sqlite_engine)
        with session_scope(sqlite_engine) as session:
            Desk(session).outage("acme", "P1", at(2026, 11, 24, 8), at(2026, 11, 24, 9))
        sqlite_engine._reports_loaded = True  # type: ignore[attr-defined]
    event = Command(name, " ".join(words), UserRef("console", who), ChatRef("console", who))
    with session_scope(sqlite_engine) as session:
        replies = dispatch(session, event, at(2026, 11, 24, 10))
    assert replies and all(r.text.strip() for r in replies)
