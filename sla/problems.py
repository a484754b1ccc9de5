"""Problems: the cause several incidents share. Opening one (numbered ``PRB-…``), linking an
incident to it, the RCA problem a policy opens by itself for some priorities (Infravision 2.3:
every Top incident), and recording its root-cause analysis.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sla.incident_log import SYSTEM, Actor, record
from sla.models import Incident, Problem
from sla.numbering import next_number
from sla.policy import Policy
from sla.service_errors import ServiceError


def open_problem(
    *, session: Session, customer_id: str, title: str, rca_required: bool, now: datetime
) -> Problem:
    problem = Problem(
        ref=f"PRB-{next_number(session, 'PRB')}",
        customer_id=customer_id,
        title=title,
        rca_required=rca_required,
        created_at=now,
    )
    session.add(problem)
    session.flush()
    return problem


def link_problem(
    *, session: Session, incident: Incident, problem: Problem, actor: Actor, now: datetime
) -> None:
    if problem.customer_id != incident.customer_id:
        raise ServiceError("other_customer", ref=incident.ref)
    if incident.problem_id == problem.id:
        raise ServiceError("already_linked", ref=incident.ref, problem=problem.ref)
    incident.problem_id = problem.id
    record(session, incident, "problem_linked", actor=actor, now=now, problem=problem.ref)


def open_rca_problem(session: Session, incident: Incident, policy: Policy, now: datetime) -> None:
    rules = policy.doc.problems
    if rules is None or incident.priority not in rules.rca_priorities or incident.problem_id:
        return
    problem = open_problem(
        session=session,
        customer_id=incident.customer_id,
        title=f"RCA {incident.ref}",
        rca_required=True,
        now=now,
    )
    link_problem(session=session, incident=incident, problem=problem, actor=SYSTEM, now=now)


def record_rca(
    *, session: Session, incident: Incident, analysis: str, actor: Actor, now: datetime
) -> Problem:
    """The root-cause analysis of the problem ``incident`` is linked to, kept on the problem
    and in the incident's log."""
    problem = session.get(Problem, incident.problem_id) if incident.problem_id else None
    if problem is None:
        raise ServiceError("no_problem", ref=incident.ref)
    if not analysis.strip():
        raise ServiceError("analysis_required", ref=incident.ref)
    problem.root_cause = analysis.strip()
    session.add(problem)
    record(
        session,
        incident,
        "rca_recorded",
        actor=actor,
        now=now,
        problem=problem.ref,
        reason=problem.root_cause,
    )
    return problem
