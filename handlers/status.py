"""``/status``: the open incidents a person may see, with their deadlines.

A contact sees their own customer's incidents only; staff see every customer's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers.cards import due_text, kind_label, status_label
from handlers.people import identify
from handlers.types import Command, Reply
from sla.directory import customer_by_id
from sla.models import OPEN_STATUSES, Incident
from sla.service import open_incidents, policy_of

MAX_LISTED = 25


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    t = person.t
    if person.contact is not None and person.customer is not None:
        incidents = open_incidents(session, person.customer.id)
        total = len(incidents)
    elif person.staff is not None:
        # Every customer's: only those listed are loaded.
        is_open = col(Incident.status).in_([s.value for s in OPEN_STATUSES])
        total = session.exec(select(func.count()).select_from(Incident).where(is_open)).one()
        query = select(Incident).where(is_open).order_by(col(Incident.reported_at))
        incidents = list(session.exec(query.limit(MAX_LISTED)))
    else:
        return [
            Reply(
                t._("You are not registered as a contact person; there is nothing to show."),
                lang=t.lang,
                ephemeral=True,
            )
        ]
    if not incidents:
        return [Reply(t._("There are no open incidents."), lang=t.lang)]
    lines = [t.n_("{n} open incident:", "{n} open incidents:", total)]
    for incident in incidents[:MAX_LISTED]:
        customer = customer_by_id(session, incident.customer_id)
        assert customer is not None
        policy = policy_of(customer)
        tz = policy.doc.calendar.timezone
        paused = incident.status == "waiting"
        parts = [
            f"{incident.ref} · {kind_label(t, policy, incident)} · "
            f"{status_label(t, incident.status)}"
        ]
        if person.staff is not None and person.contact is None:
            parts[0] += f" · {customer.name}"
        if incident.acknowledged_at is None and incident.response_due is not None:
            parts.append(
                t._("response {when}", when=due_text(t, incident.response_due, now, tz, paused))
            )
        if incident.resolution_due is not None or paused:
            parts.append(
                t._("resolution {when}", when=due_text(t, incident.resolution_due, now, tz, paused))
            )
        lines.append(" — ".join(parts))
    if total > MAX_LISTED:
        lines.append(t._("… and {n} more.", n=total - MAX_LISTED))
    return [Reply("\n".join(lines), lang=t.lang)]
