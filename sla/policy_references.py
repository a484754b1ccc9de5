"""A policy's cross-references, checked together: every role, priority, tier, request type,
question and window that one rule names must exist, and the questionnaire must reach every
question without a loop. All broken references are reported at once, each with the field path
it is about, so the loader can point at its line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from sla.policy_schema import PolicyDocument


def check_references(doc: PolicyDocument) -> None:
    """Raise one pydantic error naming every broken reference of ``doc``."""
    problems: list[tuple[str, str]] = []

    def ref(path: str, message: str) -> None:
        problems.append((path, message))

    for pid, prio in doc.priorities.items():
        for tier in prio.tiers or ():
            if tier not in doc.tiers:
                ref(f"priorities.{pid}.tiers", f"names unknown tier {tier!r}")
    if not any(r.may_file for r in doc.roles.values()):
        ref("roles", "no role may file incidents")
    for role in doc.filing.forward_to:
        if role not in doc.roles:
            ref("filing.forward_to", f"names unknown role {role!r}")
    for role in doc.escalation.started_by:
        if role not in doc.roles:
            ref("escalation.started_by", f"names unknown role {role!r}")
    for level_no, level in enumerate(doc.escalation.levels):
        if not level.role:
            ref(f"escalation.levels.{level_no}.role", "is empty")
    for rid, rtype in doc.request_types.items():
        for role in rtype.notify_roles:
            if role not in doc.roles:
                ref(f"request_types.{rid}.notify_roles", f"names unknown role {role!r}")
    _questionnaire(doc, ref)
    for pid in doc.compliance.priorities:
        if pid not in doc.priorities:
            ref(f"compliance.priorities.{pid}", "is not a priority of this policy")
    if doc.availability:
        for pid in doc.availability.down_priorities:
            if pid not in doc.priorities:
                ref("availability.down_priorities", f"names unknown priority {pid!r}")
        questions = doc.questionnaire.questions
        for qid, answers in doc.availability.up_answers.items():
            if qid not in questions:
                ref(f"availability.up_answers.{qid}", "is not a question of this policy")
                continue
            known = {answer.id for answer in questions[qid].answers}
            for aid in answers:
                if aid not in known:
                    ref(f"availability.up_answers.{qid}", f"names unknown answer {aid!r}")
        for name in doc.availability.exclude_windows:
            if name not in doc.calendar.windows:
                ref("availability.exclude_windows", f"names unknown window {name!r}")
    if doc.problems:
        for pid in doc.problems.rca_priorities:
            if pid not in doc.priorities:
                ref("problems.rca_priorities", f"names unknown priority {pid!r}")
    if problems:
        raise _reference_error(problems)


def _questionnaire(doc: PolicyDocument, ref: Callable[[str, str], None]) -> None:
    q = doc.questionnaire
    for qid, question in q.questions.items():
        answer_ids: set[str] = set()
        for n, answer in enumerate(question.answers):
            path = f"questionnaire.questions.{qid}.answers.{n}"
            if answer.id in answer_ids:
                ref(f"{path}.id", f"repeats answer id {answer.id!r}")
            answer_ids.add(answer.id)
            if answer.next is not None and answer.next not in q.questions:
                ref(f"{path}.next", f"names unknown question {answer.next!r}")
            if answer.priority is not None and answer.priority not in doc.priorities:
                ref(f"{path}.priority", f"names unknown priority {answer.priority!r}")
            rtype = answer.request_type
            if rtype is not None and rtype not in doc.request_types:
                ref(f"{path}.request_type", f"names unknown request type {rtype!r}")
            elif (
                rtype is not None
                and answer.priority is None
                and doc.request_types[rtype].prioritised
            ):
                ref(f"{path}", f"request type {rtype!r} needs a priority")
    seen: set[str] = set()

    def walk(qid: str, trail: tuple[str, ...]) -> None:
        if qid in trail:
            ref(f"questionnaire.questions.{qid}", "is part of a loop")
            return
        if qid in seen:
            return
        seen.add(qid)
        for answer in q.questions[qid].answers:
            if answer.next is not None and answer.next in q.questions:
                walk(answer.next, (*trail, qid))

    if q.start not in q.questions:
        ref("questionnaire.start", f"names unknown question {q.start!r}")
    else:
        walk(q.start, ())
        for qid in q.questions:
            if qid not in seen:
                ref(f"questionnaire.questions.{qid}", "is never asked")
    field_ids: set[str] = set()
    for n, fld in enumerate(q.fields):
        if fld.id in field_ids:
            ref(f"questionnaire.fields.{n}.id", f"repeats field id {fld.id!r}")
        field_ids.add(fld.id)
        for rtype in fld.request_types or ():
            if rtype not in doc.request_types:
                ref(f"questionnaire.fields.{n}.request_types", f"names unknown {rtype!r}")


def _reference_error(problems: list[tuple[str, str]]) -> PydanticCustomError:
    """One error for pydantic that carries every broken reference (``ctx["errors"]``).

    ``ctx["path"]`` and ``ctx["message"]`` hold the first, so the message reads on its own.
    """
    path, message = problems[0]
    return PydanticCustomError(
        "reference",
        "{path}: {message}",
        {"path": path, "message": message, "errors": [list(p) for p in problems]},
    )
