"""A contact's answer while support waits on them.

Support's ``/wait`` sends the reporter a question and pauses the clocks. What the reporter then
writes to the bot in private, outside a report they are filling in, is their answer: it goes to
the support channel on the incident's card, it is kept in the incident's log, and it ends the
wait (the clocks run again), as a reply to a ticket waiting on the customer does in a service
desk. With several of their incidents waiting, the one support asked about last is meant.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from handlers.cards import cards
from handlers.people import Person
from handlers.types import Reply, Text
from sla import service
from sla.directory import customer_by_id, staff_by_id
from sla.models import Incident, Status
from sla.service import Actor, policy_of, record


def answer_waiting(session: Session, person: Person, event: Text, now: datetime) -> list[Reply]:
    """The replies when ``event`` answers an incident of the person's that waits on them;
    none when nothing waits on them (the caller says what it says to any other message)."""
    reporters = [c.id for c in person.contacts]
    if not reporters or not event.text.strip():
        return []
    incident = session.exec(
        select(Incident)
        .where(col(Incident.reporter_id).in_(reporters))
        .where(Incident.status == Status.WAITING)
        .order_by(col(Incident.paused_since).desc(), col(Incident.id).desc())
    ).first()
    if incident is None:
        return []
    contact = next(c for c in person.contacts if c.id == incident.reporter_id)
    customer = customer_by_id(session, incident.customer_id)
    assert customer is not None
    actor = Actor.of(contact)
    text = event.text.strip()
    record(session, incident, "customer_answered", actor=actor, now=now, reason=text)
    service.resume(
        session=session, incident=incident, policy=policy_of(customer), actor=actor, now=now
    )
    session.add(incident)
    session.flush()
    t = person.t
    done = Reply(
        t._(
            "{ref}: your answer went to support, and they are working on it again.",
            ref=incident.ref,
        ),
        lang=t.lang,
        incident=incident.id,
    )
    return [
        done,
        *cards(
            session,
            incident,
            customer=customer,
            reporter=contact,
            assignee=staff_by_id(session, incident.assignee_id),
            now=now,
            headline=lambda reader: reader._(
                "{ref}: {name} answered: {answer}", ref=incident.ref, name=contact.name, answer=text
            ),
        ),
    ]
