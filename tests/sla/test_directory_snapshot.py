"""The directory read from memory: as fresh as the tables, whoever changed them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, event, text, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sla.db import make_engine, session_scope
from sla.directory import (
    binding,
    contacts_for,
    customer_by_id,
    escalation_members,
    staff_for,
    support_chats,
)
from sla.models import ChatBinding, Contact, Customer, EscalationMember, Staff
from tests.conftest import load_demo_directory


def _version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM directoryversion")).scalar_one())


def _second_engine(engine: Engine) -> Engine:
    """Another process's engine on the same database (its own pool and its own snapshot)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return make_engine(url)
    # The PostgreSQL fixture puts each test in a schema of its own through the search path.
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.mark.parametrize(
    "change",
    [
        "INSERT INTO customer (id, name, policy) VALUES ('new', 'New', 'plek')",
        "UPDATE customer SET name = 'Acme BV' WHERE id = 'acme'",
        "UPDATE contact SET language = 'en' WHERE handle = 'anna'",
        "DELETE FROM contact WHERE handle = 'bram'",
        "UPDATE staff SET language = 'nl' WHERE handle = 'support'",
        "DELETE FROM escalationmember",
        "INSERT INTO chatbinding (platform, chat_id, purpose) VALUES ('slack', 'C1', 'support')",
        "UPDATE chatbinding SET language = 'de' WHERE chat_id = 'support'",
    ],
)
def test_every_change_to_the_directory_moves_its_version(engine: Engine, change: str) -> None:
    load_demo_directory(engine)
    before = _version(engine)
    with engine.begin() as conn:
        conn.execute(text(change))
    assert _version(engine) > before


def test_other_tables_leave_the_version_alone(engine: Engine) -> None:
    load_demo_directory(engine)
    before = _version(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO counter (prefix, last) VALUES ('X', 1)"))
    assert _version(engine) == before


def test_a_change_by_another_process_is_seen_by_the_next_transaction(engine: Engine) -> None:
    load_demo_directory(engine)
    with session_scope(engine) as session:  # read once: the snapshot is kept
        (anna,) = contacts_for(session, "console", "anna")
        assert anna.language == "nl"
        assert staff_for(session, "console", "support") is not None
    other = _second_engine(engine)
    try:
        with session_scope(other) as session:
            session.execute(
                update(Contact).where(col(Contact.handle) == "anna").values(language="de")
            )
            session.execute(delete(EscalationMember))
            session.add(ChatBinding(platform="slack", chat_id="C9", purpose="support"))
    finally:
        other.dispose()
    with session_scope(engine) as session:
        (anna,) = contacts_for(session, "console", "anna")
        assert anna.language == "de"
        assert escalation_members(session, "acme", 1) == []
        assert [b.chat_id for b in support_chats(session, "acme")] == ["support", "C9"]


def test_a_transaction_sees_its_own_changes_and_a_rollback_leaves_nothing(engine: Engine) -> None:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        assert contacts_for(session, "console", "nina") == []
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assert contacts_for(session, "console", "nina") == []  # this transaction's snapshot
        session.add(Contact(customer_id="acme", handle="nina", name="Nina", roles=["beheerder"]))
        session.flush()
        assert [c.name for c in contacts_for(session, "console", "nina")] == ["Nina"]
        session.add(Customer(id="beta", name="Beta", policy="plek"))
        session.flush()
        assert customer_by_id(session, "beta") is not None
        raise RuntimeError("changed my mind")
    with session_scope(engine) as session:
        assert contacts_for(session, "console", "nina") == []
        assert customer_by_id(session, "beta") is None


def test_lookups_keep_to_active_contacts_and_every_identity(engine: Engine) -> None:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        session.execute(
            update(Contact)
            .where(col(Contact.handle) == "karl")
            .values(slack_user_id="U1", telegram_user_id="42")
        )
        session.execute(update(Contact).where(col(Contact.handle) == "greta").values(active=False))
    with session_scope(engine) as session:
        assert [c.handle for c in contacts_for(session, "slack", "U1")] == ["karl"]
        assert [c.handle for c in contacts_for(session, "telegram", "42")] == ["karl"]
        assert contacts_for(session, "console", "greta") == []
        assert binding(session, "console", "support") is not None
        assert binding(session, "console", "nowhere") is None
        with pytest.raises(ValueError):
            contacts_for(session, "irc", "karl")


def test_a_warm_transaction_reads_the_directory_without_querying_it(engine: Engine) -> None:
    load_demo_directory(engine)
    with session_scope(engine) as session:
        staff_for(session, "console", "support")  # the first read loads the snapshot
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        with session_scope(engine) as session:
            support = staff_for(session, "console", "support")
            contacts = contacts_for(session, "console", "anna")
            customer = customer_by_id(session, "acme")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert support is not None and support.handle == "support"
    assert [c.handle for c in contacts] == ["anna"] and customer is not None
    directory_tables = ("contact", "staff", "customer", "chatbinding")
    assert not [s for s in seen if any(f"FROM {table}" in s for table in directory_tables)]


def test_the_snapshot_is_not_the_sessions_own_objects(sqlite_engine: Engine) -> None:
    """Changing an object the session loaded does not reach the shared snapshot."""
    load_demo_directory(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        own = session.exec(select(Staff).where(Staff.handle == "support")).one()
        shared = staff_for(session, "console", "support")
        assert shared is not own
        own.language = "nl"  # a change in flight, not committed
        with session.no_autoflush:
            assert shared is not None and shared.language == "en"
        session.rollback()


@pytest.mark.postgres
def test_two_directory_writers_at_once_queue_instead_of_deadlocking(
    postgres_engine: Engine,
) -> None:
    """Each holds a row the other then changes; the version row is taken at commit, last."""
    load_demo_directory(postgres_engine)
    before = _version(postgres_engine)
    errors: list[BaseException] = []
    second_done = threading.Event()

    def second() -> None:
        try:
            with postgres_engine.begin() as conn:
                conn.execute(text("UPDATE staff SET language = 'de' WHERE handle = 'support'"))
        except BaseException as error:  # a deadlock is reported here or in the first writer
            errors.append(error)
        finally:
            second_done.set()

    with postgres_engine.begin() as conn:
        conn.execute(text("UPDATE contact SET language = 'en' WHERE handle = 'anna'"))
        writer = threading.Thread(target=second)
        writer.start()
        second_done.wait(5)
        conn.execute(text("UPDATE staff SET name = 'Sam' WHERE handle = 'support'"))
    writer.join(10)
    assert errors == []
    assert _version(postgres_engine) >= before + 2
    with postgres_engine.connect() as conn:
        row = conn.execute(text("SELECT name, language FROM staff WHERE handle = 'support'"))
        assert tuple(row.one()) == ("Sam", "de")
