"""``/start`` and ``/help``: what this person can do here, in their language."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.people import example_ref, identify
from handlers.types import Command, Reply


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    t = person.t
    lines = [
        t._("I am slabot: I take incident reports and keep the support deadlines of your contract.")
    ]
    example = example_ref(person)
    if person.contact is not None and person.customer is not None:
        lines.append(t._("You are a contact person of {customer}.", customer=person.customer.name))
        lines += [
            t._("/incident — report an incident"),
            t._("/status — your organisation's open incidents"),
            t._("/escalate {example} — ask for escalation of an incident", example=example),
            t._("/report [2026-10] — compliance and availability, with a chart and CSV"),
            t._("/cancel — stop the report you are writing"),
        ]
    if person.staff is not None:
        lines += [
            t._(
                "Support commands: /ack, /priority, /wait, /resume, /resolve, /rootcause, "
                "/assign, /reopen, /close, /problem — each followed by the incident id."
            ),
            t._("/status — all open incidents"),
            t._("/report CUSTOMER [2026-10] — a customer's compliance and availability"),
            t._("/maintenance CUSTOMER — planned maintenance; /outage PLEK-42 — correct an outage"),
        ]
        if "admin" in person.staff.roles:
            lines.append(t._("/contacts CUSTOMER — list, add or remove contact persons"))
    if person.contact is None and person.staff is None:
        lines.append(
            t._(
                "You are not registered yet. Ask your organisation's contact person "
                "to have you registered with support."
            )
        )
    return [Reply("\n".join(lines), lang=t.lang)]
