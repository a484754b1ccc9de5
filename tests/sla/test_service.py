"""The incident life cycle on the record layer, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from sla import service
from sla.clock import TierNotAllowed
from sla.db import session_scope
from sla.models import Contact, Customer, Incident, IncidentEvent, IncidentPause
from sla.service import Actor, ServiceError
from tests.conftest import load_demo_directory

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tue 10:00 Amsterdam


def _open(
    session: Session,
    customer_id: str,
    handle: str,
    priority: str | None,
    request_type: str = "incident",
    now: datetime = T0,
) -> Incident:
    customer = session.get(Customer, customer_id)
    assert customer is not None
    reporter = session.exec(select(Contact).where(Contact.handle == handle)).one()
    return service.open_incident(
        session=session,
        customer=customer,
        reporter=reporter,
        request_type=request_type,
        priority=priority,
        answers={"q": "a"},
        fields={"description": "d"},
        language="nl",
        now=now,
    )


def test_open_numbers_per_prefix_and_stores_utc(engine: Engine) -> None:
    """Ids count up per prefix; times come back as aware UTC on both engines."""
    load_demo_directory(engine)
    with session_scope(engine) as session:
        first = _open(session, "acme", "anna", "P1")
        second = _open(session, "acme", "anna", "P2")
        iv = _open(session, "gemeente", "emma", "Low")
    assert (first.ref, second.ref, iv.ref) == ("PLEK-1", "PLEK-2", "IV-1")
    with Session(engine) as session:
        stored = session.exec(select(Incident).where(Incident.ref == "PLEK-1")).one()
        assert stored.reported_at == T0 and stored.reported_at.tzinfo is UTC
        assert stored.resolution_due == T0 + timedelta(hours=4)
        assert stored.answers == {"q": "a"}


def test_every_change_is_an_event_with_actor_and_reason(engine: Engine) -> None:
    """The audit trail holds who did what, when and why, in order."""
    load_demo_directory(engine)
    staff = Actor("staff", 1, "Sam Support")
    with session_scope(engine) as session:
        incident = _open(session, "acme", "anna", "P1")
        policy = service.policy_of(session.get(Customer, "acme"))  # type: ignore[arg-type]
        service.acknowledge(
            session=session, incident=incident, actor=staff, now=T0 + timedelta(minutes=5)
        )
        service.change_priority(
            session=session,
            incident=incident,
            policy=policy,
            tier=None,
            actor=staff,
            priority="P2",
            reason="scope",
            now=T0 + timedelta(minutes=6),
        )
        service.wait_on_customer(
            session=session,
            incident=incident,
            policy=policy,
            actor=staff,
            now=T0 + timedelta(hours=1),
            reason="logs?",
        )
        service.resume(
            session=session,
            incident=incident,
            policy=policy,
            actor=staff,
            now=T0 + timedelta(hours=2),
        )
        service.resolve(
            session=session,
            incident=incident,
            policy=policy,
            actor=staff,
            note="fixed",
            now=T0 + timedelta(hours=3),
        )
        service.close(session=session, incident=incident, actor=staff, now=T0 + timedelta(hours=4))
        incident_id = incident.id
    with Session(engine) as session:
        events = session.exec(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.id)
        ).all()  # type: ignore[arg-type]
        assert [e.kind for e in events] == [
            "reported",
            "acknowledged",
            "priority_changed",
            "waiting",
            "resumed",
            "resolved",
            "closed",
        ]
        assert events[2].reason == "scope" and events[2].actor_name == "Sam Support"
        assert events[3].reason == "logs?"
        pauses = session.exec(select(IncidentPause)).all()
        assert [(p.started_at, p.ended_at) for p in pauses] == [
            (T0 + timedelta(hours=1), T0 + timedelta(hours=2))
        ]
        stored = session.get(Incident, incident_id)
        assert stored is not None
        # P2 = 3 workdays from Tue 10:00, plus one paused office hour: Fri 11:00 local.
        assert stored.resolution_due == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_resolution_deadline_that_passed_before_a_pause_stays(engine: Engine) -> None:
    """A pause after a missed deadline does not hide the miss."""
    load_demo_directory(engine)
    with session_scope(engine) as session:
        incident = _open(session, "acme", "anna", "P1")
        policy = service.policy_of(session.get(Customer, "acme"))  # type: ignore[arg-type]
        service.wait_on_customer(
            session=session,
            incident=incident,
            policy=policy,
            actor=service.SYSTEM,
            now=T0 + timedelta(hours=5),
        )
        assert incident.resolution_due == T0 + timedelta(hours=4)


def test_tier_rules_are_enforced(engine: Engine) -> None:
    """Perplex Prio1 is for First Class customers only."""
    load_demo_directory(engine)
    with session_scope(engine) as session:
        customer = session.get(Customer, "zorggroep")
        assert customer is not None
        customer.tier = "standard"
        with pytest.raises(TierNotAllowed):
            _open(session, "zorggroep", "petra", "Prio1")


def test_invalid_transitions_are_refused(engine: Engine) -> None:
    """Resuming an open incident, closing an open one, or acknowledging twice is refused."""
    load_demo_directory(engine)
    staff = Actor("staff", 1, "Sam")
    with session_scope(engine) as session:
        incident = _open(session, "acme", "anna", "P1")
        policy = service.policy_of(session.get(Customer, "acme"))  # type: ignore[arg-type]
        with pytest.raises(ServiceError) as err:
            service.resume(session=session, incident=incident, policy=policy, actor=staff, now=T0)
        assert err.value.code == "bad_status"
        with pytest.raises(ServiceError):
            service.close(session=session, incident=incident, actor=staff, now=T0)
        service.acknowledge(session=session, incident=incident, actor=staff, now=T0)
        with pytest.raises(ServiceError) as err:
            service.acknowledge(session=session, incident=incident, actor=staff, now=T0)
        assert err.value.code == "already_acknowledged"
        with pytest.raises(ServiceError) as err:
            service.resolve(
                session=session, incident=incident, policy=policy, actor=staff, note="  ", now=T0
            )
        assert err.value.code == "note_required"


def test_escalation_stops_at_the_top(engine: Engine) -> None:
    """Plek has three levels; a fourth escalation is refused."""
    load_demo_directory(engine)
    contact = Actor("contact", 1, "Anna")
    with session_scope(engine) as session:
        incident = _open(session, "acme", "anna", "P1")
        policy = service.policy_of(session.get(Customer, "acme"))  # type: ignore[arg-type]
        levels = [
            service.escalate(
                session=session, incident=incident, policy=policy, actor=contact, now=T0
            )
            for _ in range(3)
        ]
        assert levels == [1, 2, 3]
        with pytest.raises(ServiceError) as err:
            service.escalate(
                session=session, incident=incident, policy=policy, actor=contact, now=T0
            )
        assert err.value.code == "top_level"
