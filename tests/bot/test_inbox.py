"""Inbound events: handled once per platform key, replies written to the outbox durably."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.inbox import KEPT, Inbox, forget_handled
from handlers.types import Action, ButtonPress, ChatRef, Command, Reply, Text, UserRef
from sla.db import make_engine
from sla.models import InboundEvent, Incident, OutboxMessage
from tests.conftest import POSTGRES_URL, load_demo_directory

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(r.chat_id, r.payload["text"]) for r in rows]


def test_replies_go_to_the_outbox_and_redelivery_is_ignored(sqlite_engine: Engine) -> None:
    """A command's replies are queued for the origin chat; the same update twice is one."""
    load_demo_directory(sqlite_engine)
    pokes: list[int] = []
    inbox = Inbox(sqlite_engine, clock=lambda: T0, on_queued=lambda: pokes.append(1))
    event = Command("help", "", UserRef("console", "anna"), ChatRef("console", "anna"))
    assert inbox.process(event, dedupe="update-1") == []
    assert inbox.process(event, dedupe="update-1") == []
    assert [chat for chat, _ in _outbox(sqlite_engine)] == ["anna"]
    assert pokes == [1]


def test_messages_about_an_incident_name_it_in_the_outbox(sqlite_engine: Engine) -> None:
    """Filing PLEK-1 queues the reporter's confirmation and the support card; acknowledging
    it, the card again and the note to the reporter. Each row names the incident (what
    ``slabot outbox list`` shows); the help text before it names none."""
    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    anna = (UserRef("console", "anna"), ChatRef("console", "anna"))
    support = (UserRef("console", "support"), ChatRef("console", "support", False))
    inbox.process(Command("help", "", *anna))
    inbox.process(Command("incident", "", *anna))
    for answer in ("1", "1", "Niemand kan inloggen", "ja"):
        inbox.process(Text(answer, *anna))
    inbox.process(Command("ack", "PLEK-1", *support))
    with Session(sqlite_engine) as session:
        incident = session.exec(select(Incident)).one()
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        about = [(r.chat_id, r.payload["tags"]) for r in rows if r.incident_id == incident.id]
        assert rows[0].incident_id is None  # the help text
    assert about == [
        ("anna", ["filed"]),
        ("support", ["card"]),
        ("support", ["card"]),
        ("anna", ["reporter"]),
    ]


def test_alerts_for_the_presser_come_back_inline(sqlite_engine: Engine) -> None:
    """A refused button press is answered inline and nothing is queued."""
    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    press = ButtonPress(
        Action.ACK, "PLEK-1", UserRef("console", "anna"), ChatRef("console", "support", False)
    )
    inline = inbox.process(press, dedupe="cb-1")
    assert len(inline) == 1 and inline[0].alert
    assert _outbox(sqlite_engine) == []


def test_a_failing_handler_rolls_back_and_can_be_retried(
    sqlite_engine: Engine, monkeypatch: object
) -> None:
    """If handling crashes, nothing is kept (not even the dedupe mark), so a retry works."""
    import handlers.router

    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    event = Command("incident", "", UserRef("console", "anna"), ChatRef("console", "anna"))
    original = handlers.router.COMMANDS["incident"]

    def boom(*args: object) -> list[object]:
        raise RuntimeError("disk on fire")

    handlers.router.COMMANDS["incident"] = boom  # type: ignore[assignment]
    try:
        assert inbox.process(event, dedupe="u-9")[0].alert
    finally:
        handlers.router.COMMANDS["incident"] = original
    assert _outbox(sqlite_engine) == []
    assert inbox.process(event, dedupe="u-9") == []
    assert len(_outbox(sqlite_engine)) == 2  # intro and the first question
    with Session(sqlite_engine) as session:
        assert session.exec(select(Incident)).all() == []


def test_keep_origin_hands_back_the_replies_to_the_actor(sqlite_engine: Engine) -> None:
    """With keep_origin the replies to the origin come back unqueued; only the others are
    queued (a modal shows the first question instead of a chat message)."""
    load_demo_directory(sqlite_engine)
    pokes: list[int] = []
    inbox = Inbox(sqlite_engine, clock=lambda: T0, on_queued=lambda: pokes.append(1))
    event = Command("incident", "", UserRef("console", "anna"), ChatRef("console", "anna"))
    origin = inbox.process(event, dedupe="u-1", keep_origin=True)
    assert len(origin) == 2 and all(r.chat is None for r in origin)  # intro, first question
    assert origin[-1].prompt is not None
    assert _outbox(sqlite_engine) == []
    assert pokes == []  # nothing queued, nothing to deliver


def test_keep_origin_queues_the_replies_for_other_chats_with_the_change(
    sqlite_engine: Engine,
) -> None:
    """Filing with keep_origin: the confirmation comes back, the support card is queued in the
    same transaction as the incident, and a redelivery changes nothing."""
    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    anna = UserRef("console", "anna")
    chat = ChatRef("console", "anna")
    inbox.process(Command("incident", "", anna, chat), keep_origin=True)
    for answer in ("incident", "down"):
        inbox.process(ButtonPress(Action.ANSWER, answer, anna, chat), keep_origin=True)
    inbox.process(Text("Niemand kan inloggen", anna, chat), keep_origin=True)
    confirm = ButtonPress(Action.CONFIRM, "ok", anna, chat)
    origin = inbox.process(confirm, dedupe="submit-1", keep_origin=True)
    assert origin and all(r.chat is None for r in origin)
    assert any("PLEK-1" in r.text for r in origin)
    queued = _outbox(sqlite_engine)
    assert queued and "anna" not in [chat_id for chat_id, _ in queued]
    assert any("PLEK-1" in text for _, text in queued)  # the card for support
    assert inbox.process(confirm, dedupe="submit-1", keep_origin=True) == []
    assert _outbox(sqlite_engine) == queued
    with Session(sqlite_engine) as session:
        assert len(session.exec(select(Incident)).all()) == 1


def test_keep_origin_also_hands_back_a_failure(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that crashes under keep_origin answers with the apology in the person's
    language, queues nothing and keeps no dedupe mark."""
    import bot.inbox

    def boom(*args: object) -> list[object]:
        raise RuntimeError("disk on fire")

    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    event = Command("status", "", UserRef("console", "anna", locale="de"), ChatRef("console", "a"))
    monkeypatch.setattr(bot.inbox, "dispatch", boom)
    [sorry] = inbox.process(event, dedupe="u-2", keep_origin=True)
    assert sorry.alert and sorry.lang == "de" and sorry.chat is None
    assert _outbox(sqlite_engine) == []
    monkeypatch.undo()
    assert inbox.process(event, dedupe="u-2", keep_origin=True) != []


def _to_dm(origin: list[Reply]) -> tuple[list[Reply], list[Reply]]:
    """A split that moves everything to the person's direct chat ``dm-anna``."""
    return [], [replace(r, chat=ChatRef("console", "dm-anna")) for r in origin]


def test_split_readdresses_replies_in_the_handling_transaction(sqlite_engine: Engine) -> None:
    """What ``split`` moves is queued with the change (nothing comes back), once per event."""
    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    event = Command("help", "", UserRef("console", "anna"), ChatRef("console", "channel"))
    assert inbox.process(event, dedupe="s-1", keep_origin=True, split=_to_dm) == []
    assert inbox.process(event, dedupe="s-1", keep_origin=True, split=_to_dm) == []
    assert [chat for chat, _ in _outbox(sqlite_engine)] == ["dm-anna"]


def test_split_also_places_the_apology_after_a_failure(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed handling's apology goes where ``split`` says, and nothing else is kept."""
    import bot.inbox

    def boom(*args: object) -> list[object]:
        raise RuntimeError("disk on fire")

    load_demo_directory(sqlite_engine)
    inbox = Inbox(sqlite_engine, clock=lambda: T0)
    event = Command("status", "", UserRef("console", "anna", locale="de"), ChatRef("console", "c"))
    monkeypatch.setattr(bot.inbox, "dispatch", boom)
    assert inbox.process(event, dedupe="s-2", keep_origin=True, split=_to_dm) == []
    [(chat, words)] = _outbox(sqlite_engine)
    assert chat == "dm-anna" and words.startswith("Leider ist etwas schiefgegangen")
    with Session(sqlite_engine) as session:
        assert session.exec(select(InboundEvent)).all() == []


def test_redelivery_and_retry_after_a_failure_on_both_engines(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dedupe mark holds on SQLite and PostgreSQL: a handling that failed leaves none (the
    retry is handled), a handled event is not handled again."""
    import bot.inbox

    load_demo_directory(engine)
    inbox = Inbox(engine, clock=lambda: T0)
    event = Command("help", "", UserRef("console", "anna"), ChatRef("console", "anna"))

    def boom(*args: object) -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.inbox, "dispatch", boom)
    assert inbox.process(event, dedupe="u-1")[0].alert
    monkeypatch.undo()
    assert inbox.process(event, dedupe="u-1") == []
    assert inbox.process(event, dedupe="u-1") == []
    assert inbox.process(event, dedupe="u-1", keep_origin=True) == []
    assert len(_outbox(engine)) == 1
    with Session(engine) as session:
        assert len(session.exec(select(InboundEvent)).all()) == 1


def test_marks_older_than_kept_are_forgotten_in_batches(engine: Engine) -> None:
    """Marks from before the cut go, in as many batches as it takes; later ones stay and still
    stop a redelivery."""
    load_demo_directory(engine)
    now = [T0]
    inbox = Inbox(engine, clock=lambda: now[0])
    event = Command("help", "", UserRef("console", "anna"), ChatRef("console", "anna"))
    for n in range(5):
        inbox.process(event, dedupe=f"old-{n}")
    now[0] = T0 + KEPT
    inbox.process(event, dedupe="recent")
    assert forget_handled(engine, now[0] - timedelta(hours=1), batch=2) == 5
    with Session(engine) as session:
        assert [e.key for e in session.exec(select(InboundEvent))] == ["recent"]
    sent = len(_outbox(engine))
    inbox.process(event, dedupe="recent")
    assert len(_outbox(engine)) == sent


def test_an_update_number_telegram_reuses_after_a_quiet_week_is_handled(
    sqlite_engine: Engine,
) -> None:
    """After a week without updates Telegram numbers the next one at random: an old number may
    come back for a new message, which must be handled, not taken for a redelivery."""
    load_demo_directory(sqlite_engine)
    now = [T0]
    inbox = Inbox(sqlite_engine, clock=lambda: now[0])
    event = Command("help", "", UserRef("console", "anna"), ChatRef("console", "anna"))
    inbox.process(event, dedupe="bot:1000")
    now[0] = T0 + timedelta(days=7, minutes=1)
    forget_handled(sqlite_engine, now[0] - KEPT)
    inbox.process(replace(event, name="status"), dedupe="bot:1000")
    assert len(_outbox(sqlite_engine)) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("first_fails", [False, True])
def test_two_replicas_racing_on_one_event_on_postgres(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch, first_fails: bool
) -> None:
    """Two replicas (two engines, two threads) get the same event at once: the second waits for
    the first one's transaction and does not handle the event again; if the first one fails,
    the second one handles it."""
    import bot.inbox

    load_demo_directory(postgres_engine)
    with postgres_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    name = f"slabot-race-{uuid.uuid4().hex[:8]}"
    options = {"options": f"-csearch_path={schema}", "application_name": name}
    other = make_engine(POSTGRES_URL, connect_args=options)
    real_dispatch = bot.inbox.dispatch
    calls: list[str] = []
    handling = threading.Event()

    def second_waits() -> bool:
        """The other replica's INSERT of the key waits on a lock (the first one's row)."""
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = :name AND wait_event_type = 'Lock'"
        )
        for _ in range(1000):
            with postgres_engine.connect() as conn:
                if conn.execute(query, {"name": name}).scalar_one():
                    return True
            threading.Event().wait(0.01)
        return False

    def dispatch(*args: Any) -> Any:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:  # the first replica, with its mark written, not yet committed
            handling.set()
            assert second_waits()
            if first_fails:
                raise RuntimeError("disk on fire")
        return real_dispatch(*args)

    monkeypatch.setattr(bot.inbox, "dispatch", dispatch)
    event = Command("help", "", UserRef("slack", "UANNA"), ChatRef("slack", "DANNA"))
    results: dict[str, list[Any]] = {}

    def replica(which: str, engine: Engine) -> None:
        results[which] = Inbox(engine, clock=lambda: T0).process(event, dedupe="Ev-race")

    first = threading.Thread(target=replica, args=("first", postgres_engine), name="first")
    second = threading.Thread(target=replica, args=("second", other), name="second")
    try:
        first.start()
        assert handling.wait(30)
        second.start()
        first.join(30)
        second.join(30)
    finally:
        other.dispose()
    assert not first.is_alive() and not second.is_alive()
    assert calls == (["first", "second"] if first_fails else ["first"])
    assert (results["first"] != []) == first_fails  # the apology when it failed
    assert results["second"] == []
    assert len(_outbox(postgres_engine)) == 1  # the help text, once
    with Session(postgres_engine) as session:
        assert len(session.exec(select(InboundEvent)).all()) == 1
