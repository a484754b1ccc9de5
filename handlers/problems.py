"""``/problem``: support links an incident to a problem (the cause several incidents share),
opens a new problem and links it, or records the root-cause analysis of the incident's problem
(the one a Top incident opens by itself at Infravision asks for it, 2.3).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from handlers.cards import cards
from handlers.people import identify
from handlers.refusals import error_text, is_staff, refuse_non_staff
from handlers.triage import parse_ref
from handlers.types import Command, Reply
from sla import service
from sla.directory import contact_by_id, customer_by_id, staff_by_id
from sla.i18n import Translator
from sla.models import Incident, Problem
from sla.service import Actor, ServiceError, find_incident


def problem_command(session: Session, event: Command, now: datetime) -> list[Reply]:
    """``/problem REF PRB-3`` links; ``/problem REF new title`` opens one and links it;
    ``/problem REF rca analysis`` records the root-cause analysis of REF's problem."""
    person = identify(session, event.user, event.chat)
    if not is_staff(person):
        return refuse_non_staff(person)
    t = person.t
    ref, rest = parse_ref(event.args)
    incident = find_incident(session, ref) if ref else None
    if incident is None or not rest:
        return [
            Reply(
                t._(
                    "Use /problem PLEK-42 PRB-3 to link, /problem PLEK-42 new <title> to open "
                    "one, or /problem PLEK-42 rca <analysis> to record its root-cause analysis."
                ),
                lang=t.lang,
            )
        ]
    assert person.staff is not None
    actor = Actor.of(person.staff)
    word, _, title = rest.partition(" ")
    if word.lower() == "rca":
        return _record_rca(session, incident, title, actor, t, now)
    if word.lower() == "new":
        problem = service.open_problem(
            session=session,
            customer_id=incident.customer_id,
            title=title.strip() or incident.ref,
            rca_required=False,
            now=now,
        )
    else:
        found = session.exec(select(Problem).where(Problem.ref == word.upper())).first()
        if found is None:
            return [Reply(t._("There is no problem {ref}.", ref=word), lang=t.lang)]
        problem = found
    try:
        service.link_problem(
            session=session, incident=incident, problem=problem, actor=actor, now=now
        )
    except ServiceError as error:
        return [Reply(error_text(t, error), lang=t.lang)]
    linked = session.exec(select(Incident).where(Incident.problem_id == problem.id)).all()
    refs = ", ".join(sorted(i.ref for i in linked))
    return [
        Reply(
            t._(
                "{problem} ({title}) now links: {refs}",
                problem=problem.ref,
                title=problem.title,
                refs=refs,
            ),
            lang=t.lang,
        )
    ]


def _record_rca(
    session: Session, incident: Incident, analysis: str, actor: Actor, t: Translator, now: datetime
) -> list[Reply]:
    try:
        problem = service.record_rca(
            session=session, incident=incident, analysis=analysis, actor=actor, now=now
        )
    except ServiceError as error:
        return [Reply(error_text(t, error), lang=t.lang)]
    customer = customer_by_id(session, incident.customer_id)
    reporter = contact_by_id(session, incident.reporter_id)
    assert customer is not None and reporter is not None
    done = Reply(
        t._("{problem}: the root-cause analysis is recorded.", problem=problem.ref), lang=t.lang
    )
    assignee = staff_by_id(session, incident.assignee_id)
    return [
        done,
        *cards(session, incident, customer=customer, reporter=reporter, assignee=assignee, now=now),
    ]
