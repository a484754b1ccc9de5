"""Timer rows derived from deadlines: reminder points, breach, escalation steps, office hold."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from handlers.types import Action
from sla.models import Incident, Timer
from tests.chat import ChatDriver


def _pending(chat: ChatDriver, ref: str) -> list[tuple[str, str, float, int, datetime]]:
    with Session(chat.engine) as session:
        incident = session.exec(select(Incident).where(Incident.ref == ref)).one()
        rows = session.exec(
            select(Timer)
            .where(Timer.incident_id == incident.id)
            .where(col(Timer.fired_at).is_(None))
            .order_by(col(Timer.due_at), col(Timer.target))
        ).all()
        return [(t.kind, t.target, t.point, t.level, t.due_at) for t in rows]


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_plek_p1_reminders_breach_and_ladder(chat: ChatDriver) -> None:
    """Plek P1 at Tue 10:00: 50/75/90 % at 12:00, 13:00, 13:36; breach 14:00; then a further
    4 office hours per level: team lead at 14:00, CSM at 18:00 (closing), board Wed 12:30."""
    chat.report("anna", "1", "1", "Plat", "ja")
    assert _pending(chat, "PLEK-1") == [
        ("reminder", "resolution", 0.5, 0, utc(24, 11)),
        ("reminder", "resolution", 0.75, 0, utc(24, 12)),
        ("reminder", "resolution", 0.9, 0, utc(24, 12, 36)),
        ("breach", "resolution", 1.0, 1, utc(24, 13)),
        ("escalation", "resolution", 2.0, 2, utc(24, 17)),
        ("escalation", "resolution", 3.0, 3, utc(25, 11, 30)),
    ]


def test_office_clock_points_fall_in_office_time(chat: ChatDriver) -> None:
    """Pluvo P2 at 16:00 (response 2 office hours): 50 % lands exactly at closing time (17:00)
    and stays there; 75 % and 90 % are counted on into the next morning, not fired at night."""
    chat.now = utc(24, 15)  # 16:00 local
    chat.report("karl", "1", "2", "Beschreibung", "Untersucht", "P2", "ja")
    response = [p for p in _pending(chat, "PLUVO-1") if p[1] == "response"]
    assert response[:4] == [
        ("reminder", "response", 0.5, 0, utc(24, 16)),
        ("reminder", "response", 0.75, 0, utc(25, 8, 30)),
        ("reminder", "response", 0.9, 0, utc(25, 8, 48)),
        ("breach", "response", 1.0, 1, utc(25, 9)),
    ]


def test_24x7_targets_fire_at_night(chat: ChatDriver) -> None:
    """Pluvo's 24x7 resolution clock puts reminders at any hour."""
    chat.now = utc(24, 15)
    chat.report("karl", "1", "1", "Beschreibung", "Untersucht", "P1", "ja")
    resolution = [p for p in _pending(chat, "PLUVO-1") if p[1] == "resolution"]
    assert resolution[0] == ("reminder", "resolution", 0.5, 0, utc(25, 3))


def test_acknowledgement_ends_response_timers_resolution_ends_all(chat: ChatDriver) -> None:
    """Ack drops response timers; resolving drops the rest."""
    chat.report("emma", "1", "1", "1", "Down", "Steps", "yes")
    assert {p[1] for p in _pending(chat, "IV-1")} == {"response"}  # resolution waits for RCA
    chat.press("support", Action.ROOT_CAUSE, "IV-1")
    assert {p[1] for p in _pending(chat, "IV-1")} == {"response", "resolution"}
    chat.press("support", Action.ACK, "IV-1")
    assert {p[1] for p in _pending(chat, "IV-1")} == {"resolution"}
    chat.say("support", "/resolve IV-1 Fixed", chat="support")
    assert _pending(chat, "IV-1") == []


def test_pause_removes_timers_and_resume_moves_them(chat: ChatDriver) -> None:
    """Waiting on the customer removes pending timers; resuming re-plans them later."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.advance(minutes=30)
    chat.press("support", Action.WAIT, "PLEK-1")
    chat.say("support", "Screenshot?", chat="support")
    assert _pending(chat, "PLEK-1") == []
    chat.advance(hours=1)  # 11:30 local
    chat.press("support", Action.RESUME, "PLEK-1")
    pending = _pending(chat, "PLEK-1")
    assert pending[0] == ("reminder", "resolution", 0.5, 0, utc(24, 12))  # 13:00 local
    assert ("breach", "resolution", 1.0, 1, utc(24, 14)) in pending


def test_priority_change_moves_timers(chat: ChatDriver) -> None:
    """P1 → P2 re-plans on the 3-workday clock from the report time."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.say("support", "/priority PLEK-1 P2 Minder erg", chat="support")
    breach = [p for p in _pending(chat, "PLEK-1") if p[0] == "breach"]
    assert breach == [("breach", "resolution", 1.0, 1, utc(27, 9))]


def test_no_deadline_no_timers(chat: ChatDriver) -> None:
    """Plek P4 (best effort) has nothing to remind of."""
    chat.report("anna", "2", "Nieuwe knop", "ja")
    assert _pending(chat, "PLEK-1") == []
