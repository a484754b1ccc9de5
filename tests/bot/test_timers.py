"""Firing timers: exactly once, into the outbox in the same transaction, late after downtime,
held for office hours, never for closed incidents, escalating up the ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from bot.timers import fire_all_due, next_due
from handlers.types import Action
from sla.models import EscalationMember, Incident, IncidentEvent, OutboxMessage, Staff, Timer
from tests.chat import ChatDriver, to


def _events(chat: ChatDriver, ref: str) -> list[tuple[str, dict[str, object]]]:
    return [(e.kind, e.data) for e in chat.events(ref) if e.kind not in ("reported",)]


def _outbox(engine: Engine) -> list[tuple[str, str, tuple[str, ...]]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(r.chat_id, r.payload["text"], tuple(r.payload["tags"])) for r in rows]


def test_reminders_fire_once_each_in_order(chat: ChatDriver) -> None:
    """Each reminder fires once at its moment; firing again at the same time does nothing."""
    chat.report("anna", "1", "1", "Plat", "ja")
    assert fire_all_due(chat.engine, chat.now + timedelta(hours=1, minutes=59)) == 0
    assert fire_all_due(chat.engine, chat.now + timedelta(hours=2)) == 1
    assert fire_all_due(chat.engine, chat.now + timedelta(hours=2)) == 0
    rows = _outbox(chat.engine)
    assert rows and all(chat_id == "support" for chat_id, _, _ in rows)
    assert "PLEK-1" in rows[0][1] and rows[0][2] == ("reminder",)
    kinds = _events(chat, "PLEK-1")
    assert kinds == [
        ("reminder", {"target": "resolution", "point": 0.5, "late": False, "superseded": False})
    ]


def test_breach_escalates_to_level_one_and_then_up(chat: ChatDriver) -> None:
    """The breach pings the team lead; 4 office hours later the customer success manager."""
    chat.report("anna", "1", "1", "Plat", "ja")
    fire_all_due(chat.engine, chat.now + timedelta(hours=4))
    assert chat.incident("PLEK-1").escalation_level == 1
    chats = [chat_id for chat_id, _, tags in _outbox(chat.engine) if "escalation" in tags]
    assert chats == ["lisa"]
    fire_all_due(chat.engine, chat.now + timedelta(hours=8))  # 18:00 local
    assert chat.incident("PLEK-1").escalation_level == 2
    assert [c for c, _, tags in _outbox(chat.engine) if "escalation" in tags] == ["lisa", "mark"]


def test_late_timers_after_downtime_fire_once_marked_late(chat: ChatDriver) -> None:
    """Back after a day of downtime, everything missed fires once and is marked late;
    the superseded reminders send nothing."""
    chat.report("anna", "1", "1", "Plat", "ja")
    # Wednesday 12:00 local: everything up to the board step (12:30) is missed but one.
    fire_all_due(chat.engine, datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
    events = _events(chat, "PLEK-1")
    reminders = [d for k, d in events if k == "reminder"]
    assert len(reminders) == 3 and all(d["late"] and d["superseded"] for d in reminders)
    assert [d["late"] for k, d in events if k == "breach"] == [True]
    assert chat.incident("PLEK-1").escalation_level == 2
    with Session(chat.engine) as session:
        late = session.exec(select(Timer).where(col(Timer.late))).all()
        assert len(late) == 5
    tags = [t for _, _, t in _outbox(chat.engine)]
    assert ("reminder",) not in tags


def test_klik_office_clock_pings_wait_for_the_office_its_24x7_ones_do_not(
    chat: ChatDriver,
) -> None:
    """Klik, reported Tue 16:00, the bot down until Wed 03:00. The P2's response breach (office
    clock, due 17:00) waits for the office to open at 09:00; the P1's (24x7) pings at once."""
    chat.now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 16:00 local
    chat.report("sanne", "3", "Het rooster laadt niet voor een docent", "ja")
    chat.report("tim", "1", "Alles ligt eruit", "ja")
    assert [chat.incident(ref).priority for ref in ("KLIK-1", "KLIK-2")] == ["P2", "P1"]
    night = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 03:00 local
    fire_all_due(chat.engine, night)
    assert chat.incident("KLIK-1").escalation_level == 0
    assert chat.incident("KLIK-2").escalation_level >= 1
    with Session(chat.engine) as session:
        incident = chat.incident("KLIK-1")
        held = session.exec(
            select(Timer)
            .where(Timer.incident_id == incident.id, Timer.kind == "breach")
            .where(Timer.target == "response")
        ).one()
    assert held.fired_at is None and held.due_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    fire_all_due(chat.engine, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # 09:00 local
    assert chat.incident("KLIK-1").escalation_level == 1


def test_the_ladder_stops_while_waiting_on_the_customer_and_moves_on_resume(
    chat: ChatDriver,
) -> None:
    """Plek P1, Tue 10:00: missed at 14:00 (level 1), then support waits on the customer from
    15:00 to Wed 10:00. No level is pinged meanwhile; after resuming, the next level comes one
    target (4 office hours) of progress-less time after the breach, the pause skipped: the
    hour 14:00-15:00 and three more from 10:00, Wed 13:00."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.advance(hours=4)  # 14:00
    fire_all_due(chat.engine, chat.now)
    chat.press("support", Action.ACK, "PLEK-1")
    chat.advance(hours=1)  # 15:00
    chat.press("support", Action.WAIT, "PLEK-1")
    chat.say("support", "Welke gebruikers precies?", chat="support")
    chat.advance(hours=19)  # Wed 10:00
    fire_all_due(chat.engine, chat.now)
    assert chat.incident("PLEK-1").escalation_level == 1
    assert [c for c, _, tags in _outbox(chat.engine) if "escalation" in tags] == ["lisa"]
    chat.press("support", Action.RESUME, "PLEK-1")
    with Session(chat.engine) as session:
        incident = chat.incident("PLEK-1")
        steps = session.exec(
            select(Timer.level, Timer.due_at)
            .where(Timer.incident_id == incident.id, Timer.kind == "escalation")
            .order_by(col(Timer.level))
        ).all()
    assert [(level, due.astimezone(UTC)) for level, due in steps] == [
        (2, datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),  # Wed 13:00 local
        (3, datetime(2026, 11, 25, 16, 0, tzinfo=UTC)),  # Wed 17:00 local
    ]


def test_each_escalation_ping_gives_the_reason_in_its_readers_language(chat: ChatDriver) -> None:
    """Plek (Dutch) P1 missed: Lisa (nl) reads why in Dutch, Mark (en) two levels up in
    English; the reason used to be the customer's language inside each reader's sentence."""
    chat.report("anna", "1", "1", "Plat", "ja")
    fire_all_due(chat.engine, chat.now + timedelta(hours=8))  # 18:00: levels 1 and 2
    pings = {c: text for c, text, tags in _outbox(chat.engine) if "escalation" in tags}
    assert pings["lisa"].startswith("Escalatie PLEK-1")
    assert "de termijn voor de oplossing is verstreken" in pings["lisa"]
    assert pings["mark"].startswith("Escalation PLEK-1")
    assert "the resolution deadline was missed" in pings["mark"], pings["mark"]


def test_a_contacts_escalation_without_a_reason_reads_in_each_language(chat: ChatDriver) -> None:
    """Anna (nl) escalates without saying why: Lisa reads "gevraagd door", and when Anna
    escalates again, Mark reads "asked by"."""
    chat.report("anna", "1", "1", "Plat", "ja")
    [lisa] = to(chat.say("anna", "/escalate PLEK-1"), "lisa")
    [mark] = to(chat.say("anna", "/escalate PLEK-1"), "mark")
    assert "gevraagd door Anna de Vries" in lisa.text
    assert "asked by Anna de Vries" in mark.text, mark.text


def test_the_assignee_reads_reminders_in_their_language(chat: ChatDriver) -> None:
    """A Pluvo (German) P1 assigned to Lisa (nl): the support chat gets the reminder in
    German, as its card; Lisa's own copy is Dutch."""
    chat.report("karl", "1", "1", "Beschreibung", "Untersucht", "P1", "ja")
    chat.press("lisa", Action.ASSIGN_ME, "PLUVO-1")
    fire_all_due(chat.engine, chat.now + timedelta(hours=12))
    reminders = [(c, text) for c, text, tags in _outbox(chat.engine) if "reminder" in tags]
    assert [c for c, _ in reminders] == ["support", "lisa"]
    assert reminders[0][1].startswith("Erinnerung PLUVO-1")
    assert reminders[1][1].startswith("Herinnering PLUVO-1")


def test_nothing_fires_for_a_resolved_incident(chat: ChatDriver) -> None:
    """Resolving removes pending timers; nothing is sent afterwards."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.say("support", "/resolve PLEK-1 Done", chat="support")
    assert fire_all_due(chat.engine, chat.now + timedelta(days=3)) == 0
    assert _outbox(chat.engine) == []
    assert next_due(chat.engine) is None


def test_level_without_people_is_skipped(chat: ChatDriver) -> None:
    """With nobody at level 1 the breach goes straight to level 2."""
    with Session(chat.engine) as session:
        lisa = session.exec(select(Staff).where(Staff.handle == "lisa")).one()
        session.execute(delete(EscalationMember).where(col(EscalationMember.staff_id) == lisa.id))
        session.commit()
    chat.report("anna", "1", "1", "Plat", "ja")
    fire_all_due(chat.engine, chat.now + timedelta(hours=4))
    assert chat.incident("PLEK-1").escalation_level == 2
    assert [c for c, _, tags in _outbox(chat.engine) if "escalation" in tags] == ["mark"]


def test_contact_escalation_moves_the_ladder(chat: ChatDriver) -> None:
    """After a contact's /escalate to level 1, the breach does not raise the level again; the
    team lead, who was asked by the contact, is told that the deadline is now missed too."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.say("anna", "/escalate PLEK-1")
    fire_all_due(chat.engine, chat.now + timedelta(hours=4))
    pings = [(c, text) for c, text, tags in _outbox(chat.engine) if "escalation" in tags]
    assert [c for c, _ in pings] == ["lisa"] and "verstreken" in pings[0][1]  # Dutch
    assert chat.incident("PLEK-1").escalation_level == 1


def test_a_second_missed_deadline_pings_the_current_level(chat: ChatDriver) -> None:
    """Pluvo P1 reported Tue 10:00: response due 11:00 (office clock), resolution Wed 10:00
    (24x7). The response breach pings the team lead (level 1) and the ladder reaches level 2
    one interval later; the resolution breach then pings level 2 again (it is news) and
    leaves the level where it is."""
    chat.report("karl", "1", "1", "Nichts geht", "Neu gestartet", "P1", "ja")
    assert chat.incident("PLUVO-1").priority == "P1"
    fire_all_due(chat.engine, chat.now + timedelta(hours=1))
    assert chat.incident("PLUVO-1").escalation_level == 1
    fire_all_due(chat.engine, chat.now + timedelta(hours=23))
    before = [c for c, _, tags in _outbox(chat.engine) if "escalation" in tags]
    level = chat.incident("PLUVO-1").escalation_level
    fire_all_due(chat.engine, chat.now + timedelta(hours=24))
    pings = [(c, t) for c, t, tags in _outbox(chat.engine) if "escalation" in tags][len(before) :]
    assert chat.incident("PLUVO-1").escalation_level == level >= 1
    assert pings and all("Lösung" in t or "resolution" in t for _, t in pings)


def test_klik_breach_asks_for_reason_and_estimate_and_passes_it_on(chat: ChatDriver) -> None:
    """Klik 7.6: the breach asks support for the reason and new end time; the reporter gets it."""
    chat.report("sanne", "1", "Alles ligt eruit", "ja")
    incident = chat.incident("KLIK-1")
    assert incident.priority == "P1"
    fire_all_due(chat.engine, chat.now + timedelta(hours=1))
    with Session(chat.engine) as session:
        breach = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "support")).all()
        buttons = [b["action"] for row in breach for b in row.payload["buttons"]]
    assert Action.EXPLAIN_BREACH.value in buttons
    chat.press("support", Action.EXPLAIN_BREACH, "KLIK-1")
    replies = chat.say(
        "support", "Storing bij de hostingpartij, verwacht klaar 12:00", chat="support"
    )
    told = [r for r in replies if r.chat is not None and r.chat.id == "sanne"]
    assert told and "verwacht klaar 12:00" in told[0].text
    assert chat.events("KLIK-1")[-1].kind == "customer_informed"


def test_pg_claims_with_the_database_clock(pg_chat: ChatDriver) -> None:
    """On PostgreSQL a claim without ``now`` compares against the database clock
    (Klik's 24x7 P1: nothing is held for office hours)."""
    pg_chat.report("sanne", "1", "Alles ligt eruit", "ja")
    with Session(pg_chat.engine) as session:
        incident = session.exec(select(Incident).where(Incident.ref == "KLIK-1")).one()
        timers = list(session.exec(select(Timer).where(Timer.incident_id == incident.id)))
        for number, timer in enumerate(timers):
            timer.due_at = datetime.now(UTC) + timedelta(minutes=-5 if number else 30)
            session.add(timer)
        session.commit()
    assert fire_all_due(pg_chat.engine) == len(timers) - 1
    assert fire_all_due(pg_chat.engine) == 0
    with Session(pg_chat.engine) as session:
        breaches = session.exec(select(IncidentEvent).where(IncidentEvent.kind == "breach")).all()
        assert len(breaches) == 2  # response and resolution


async def test_runner_fires_a_timer_that_came_due_while_it_was_firing(
    chat: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the next timer is already due as a run ends, it fires at once, not at the next
    sweep (APScheduler used to skip that wake as the run was still going)."""
    import asyncio
    import time

    import bot.timers
    from bot.timers import TimerRunner
    from tests.desk import Desk

    now = datetime.now(UTC)
    with Session(chat.engine) as session:  # Klik's P1 is on the 24x7 clock: never held
        incident = Desk(session).open("scholengroep", "P1", now)
        moments = [now + timedelta(seconds=s) for s in (0.5, 0.55, 0.6)]
        assert incident.id is not None
        for moment in moments:
            timer = Timer(incident_id=incident.id, kind="reminder", target="resolution")
            timer.due_at = moment
            session.add(timer)
        session.commit()
    real = bot.timers.fire_all_due

    def slow(engine: Engine, now: datetime | None = None) -> int:
        fired = real(engine, now)
        time.sleep(0.1)  # firing takes longer than the gap to the next timer
        return fired

    monkeypatch.setattr(bot.timers, "fire_all_due", slow)
    runner = TimerRunner(chat.engine, sweep_seconds=30)
    runner.start()
    try:
        for _ in range(30):
            await asyncio.sleep(0.1)
            with Session(chat.engine) as session:
                query = select(Timer).where(col(Timer.due_at).in_(moments))
                timers = session.exec(query).all()
            if all(t.fired_at is not None for t in timers):
                break
    finally:
        runner.shutdown()
    assert len(timers) == 3
    late = [t.fired_at - t.due_at if t.fired_at else None for t in timers]
    assert all(lag is not None and lag < timedelta(seconds=1) for lag in late), late


async def test_pokes_within_a_moment_share_one_run(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every handled event pokes the runner; pokes close together make one run, not one each,
    and a poke after the run makes another."""
    import asyncio

    import bot.timers
    from bot.timers import TimerRunner

    runs: list[datetime] = []
    real = bot.timers.fire_all_due

    def counted(engine: Engine, now: datetime | None = None) -> int:
        runs.append(datetime.now(UTC))
        return real(engine, now)

    async def until(count: int) -> None:
        for _ in range(100):
            if len(runs) >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(runs)} runs, not {count}")

    monkeypatch.setattr(bot.timers, "fire_all_due", counted)
    runner = TimerRunner(sqlite_engine, sweep_seconds=30, poke_seconds=0.2)
    runner.start()
    try:
        await until(1)  # the first sweep
        for _ in range(50):
            runner.poke()
        await until(2)
        await asyncio.sleep(0.3)
        assert len(runs) == 2
        runner.poke()
        await until(3)
    finally:
        runner.shutdown()


def _timers(chat: ChatDriver, ref: str, kind: str) -> list[tuple[float, datetime, bool]]:
    """The incident's timers of ``kind``: point, moment (UTC) and whether it fired."""
    with Session(chat.engine) as session:
        incident = chat.incident(ref)
        rows = session.exec(
            select(Timer)
            .where(Timer.incident_id == incident.id, Timer.kind == kind)
            .order_by(col(Timer.due_at))
        ).all()
        return [(r.point, r.due_at.astimezone(UTC), r.fired_at is not None) for r in rows]


def test_a_priority_change_brings_the_new_deadlines_reminders(chat: ChatDriver) -> None:
    """Plek P1, Tue 10:00: its 50 % reminder fires at 12:00; then it becomes P2 (3 workdays of
    9.5 office hours = 28.5 h from the report: Fri 10:00). P2's reminders are news, although a
    50 % reminder fired already: 14.25 h in, Wed 14:45; 21.375 h, Thu 12:22:30; 25.65 h, Thu
    16:39; and the breach at Fri 10:00."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.advance(hours=2)  # 12:00 local
    assert fire_all_due(chat.engine, chat.now) == 1
    chat.say("support", "/priority PLEK-1 P2 Toch gedeeltelijk", chat="support")
    pending = [(p, due) for p, due, done in _timers(chat, "PLEK-1", "reminder") if not done]
    assert pending == [
        (0.5, datetime(2026, 11, 25, 13, 45, tzinfo=UTC)),
        (0.75, datetime(2026, 11, 26, 11, 22, 30, tzinfo=UTC)),
        (0.9, datetime(2026, 11, 26, 15, 39, tzinfo=UTC)),
    ]
    fire_all_due(chat.engine, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # Fri 10:00 local
    kinds = [kind for kind, _ in _events(chat, "PLEK-1") if kind in ("reminder", "breach")]
    assert kinds == ["reminder", "reminder", "reminder", "reminder", "breach"]


def test_a_reopened_incident_climbs_the_ladder_one_interval_at_a_time(chat: ChatDriver) -> None:
    """Plek P1, Tue 10:00, resolved 11:00, reopened Wed 13:00: its deadline (Tue 14:00) is
    missed now, so the breach fires and pings level 1; level 2 comes one interval (4 office
    hours) later, Wed 17:00, and level 3 four more, Thu 11:30 (Wed 18:00 closes, Thu opens
    08:30) — not every level at once."""
    chat.report("anna", "1", "1", "Plat", "ja")
    chat.advance(hours=1)
    chat.say("support", "/resolve PLEK-1 Herstart", chat="support")
    chat.advance(hours=26)  # Wed 13:00 local
    chat.say("support", "/reopen PLEK-1 Komt terug", chat="support")
    fire_all_due(chat.engine, chat.now)
    assert chat.incident("PLEK-1").escalation_level == 1
    steps = [(due, done) for _, due, done in _timers(chat, "PLEK-1", "escalation")]
    assert steps == [
        (datetime(2026, 11, 25, 16, 0, tzinfo=UTC), False),
        (datetime(2026, 11, 26, 10, 30, tzinfo=UTC), False),
    ]


def test_a_priority_raised_while_waiting_pings_no_further_level(chat: ChatDriver) -> None:
    """Plek P2, Tue 10:00; support waits on the customer from Wed 10:00 and, at 11:00, makes it
    P1, whose deadline (Tue 14:00) has passed: the breach fires and pings level 1, and no
    further level while the incident waits. Resumed at 15:00, level 2 comes four office hours
    of progress-less time after the breach, the wait skipped: Wed 15:00-18:00 and one hour from
    Thu 08:30, Thu 09:30."""
    chat.report("anna", "1", "2", "Deels stuk", "ja")
    assert chat.incident("PLEK-1").priority == "P2"
    chat.advance(hours=24)  # Wed 10:00
    chat.say("support", "/wait PLEK-1 Welke gebruikers precies?", chat="support")
    chat.advance(hours=1)
    chat.say("support", "/priority PLEK-1 P1 Toch volledig plat", chat="support")
    fire_all_due(chat.engine, chat.now)
    chat.advance(hours=3)  # 14:00
    fire_all_due(chat.engine, chat.now)
    assert chat.incident("PLEK-1").escalation_level == 1
    chat.advance(hours=1)  # 15:00
    chat.say("support", "/resume PLEK-1", chat="support")
    steps = [due for _, due, done in _timers(chat, "PLEK-1", "escalation") if not done]
    assert steps[0] == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
