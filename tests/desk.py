"""A support desk for record-layer tests: incidents filed and worked at given local times.

Each step goes through ``sla.service`` (so deadlines, pauses and the audit trail are real) inside
one session; times are Amsterdam wall-clock times, ``at(2026, 11, 24, 10)``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from sla import service
from sla.db import make_engine, session_scope, upgrade
from sla.models import Contact, Customer, Incident
from sla.policy import Policy
from sla.service import Actor

AMS = ZoneInfo("Europe/Amsterdam")
STAFF = Actor("staff", None, "Sam Support")
# The demo directory's customer per policy, and a contact person of it who may file.
FILER = {
    "acme": "anna",
    "stadtwerke": "karl",
    "scholengroep": "sanne",
    "zorggroep": "petra",
    "gemeente": "emma",
}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local Amsterdam time (the policies' zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


class Desk:
    def __init__(self, session: Session) -> None:
        self.session = session

    def customer(self, customer_id: str) -> Customer:
        found = self.session.get(Customer, customer_id)
        assert found is not None
        return found

    def open(
        self,
        customer_id: str,
        priority: str | None,
        when: datetime,
        request_type: str = "incident",
        answers: dict[str, str] | None = None,
    ) -> Incident:
        customer = self.customer(customer_id)
        reporter = self.session.exec(
            select(Contact).where(Contact.handle == FILER[customer_id])
        ).one()
        return service.open_incident(
            session=self.session,
            customer=customer,
            reporter=reporter,
            request_type=request_type,
            priority=priority,
            answers=answers or {},
            fields={"description": "test"},
            language="en",
            now=when,
        )

    def _policy(self, incident: Incident) -> Policy:
        return service.policy_of(self.customer(incident.customer_id))

    def ack(self, incident: Incident, when: datetime) -> Incident:
        service.acknowledge(session=self.session, incident=incident, actor=STAFF, now=when)
        return incident

    def resolve(self, incident: Incident, when: datetime) -> Incident:
        service.resolve(
            session=self.session,
            incident=incident,
            policy=self._policy(incident),
            actor=STAFF,
            note="fixed",
            now=when,
        )
        return incident

    def wait(self, incident: Incident, when: datetime) -> Incident:
        service.wait_on_customer(
            session=self.session,
            incident=incident,
            policy=self._policy(incident),
            actor=STAFF,
            now=when,
        )
        return incident

    def resume(self, incident: Incident, when: datetime) -> Incident:
        service.resume(
            session=self.session,
            incident=incident,
            policy=self._policy(incident),
            actor=STAFF,
            now=when,
        )
        return incident

    def root_cause(self, incident: Incident, when: datetime) -> Incident:
        service.record_root_cause(
            session=self.session,
            incident=incident,
            policy=self._policy(incident),
            actor=STAFF,
            now=when,
        )
        return incident

    def priority(self, incident: Incident, priority: str, when: datetime) -> Incident:
        customer = self.customer(incident.customer_id)
        service.change_priority(
            session=self.session,
            incident=incident,
            policy=service.policy_of(customer),
            tier=service.tier_of(customer),
            actor=STAFF,
            priority=priority,
            reason="test",
            now=when,
        )
        return incident

    def outage(
        self,
        customer_id: str,
        priority: str,
        start: datetime,
        end: datetime | None,
        answers: dict[str, str] | None = None,
    ) -> Incident:
        """An incident of ``priority`` reported at ``start`` and resolved at ``end``."""
        incident = self.open(customer_id, priority, start, answers=answers)
        if end is not None:
            self.resolve(incident, end)
        return incident


def october_database(url: str) -> None:
    """A migrated database at ``url`` with the demo directory and two Plek incidents in October
    2026: PLEK-1, a P1 down 9 hours (Tue 6 Oct 08:00-17:00), and PLEK-2, a P2 resolved in time."""
    from tests.conftest import load_demo_directory

    engine = make_engine(url)
    upgrade(engine)
    load_demo_directory(engine)
    with session_scope(engine) as session:
        desk = Desk(session)
        desk.outage("acme", "P1", at(2026, 10, 6, 8), at(2026, 10, 6, 17))
        desk.resolve(desk.open("acme", "P2", at(2026, 10, 7, 10)), at(2026, 10, 8, 10))
    engine.dispose()
