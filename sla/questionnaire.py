"""Walking a policy's guided questionnaire: which question or field comes next, and the outcome.

The state is just two dicts (question id -> answer id, field id -> text), so any transport can
keep it (a database draft, a Slack modal's private metadata) and resume it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sla.policy import Policy
from sla.policy_schema import Answer, Question, ReportField


@dataclass(frozen=True)
class Outcome:
    request_type: str
    priority: str | None


@dataclass(frozen=True)
class Step:
    """What to ask next: a question, a free-text field, or nothing (ready to confirm)."""

    question_id: str | None = None
    question: Question | None = None
    field: ReportField | None = None

    @property
    def done(self) -> bool:
        return self.question is None and self.field is None


def walk(policy: Policy, answers: Mapping[str, str]) -> tuple[str | None, Outcome | None]:
    """Follow the answers from the start; the unanswered question id, or the outcome."""
    tree = policy.doc.questionnaire
    qid: str | None = tree.start
    while qid is not None:
        question = tree.questions[qid]
        chosen = next((a for a in question.answers if a.id == answers.get(qid)), None)
        if chosen is None:
            return qid, None
        if chosen.next is None:
            return None, Outcome(chosen.request_type or "incident", chosen.priority)
        qid = chosen.next
    raise AssertionError("unreachable")  # pragma: no cover


def fields_for(policy: Policy, request_type: str) -> list[ReportField]:
    return [
        f
        for f in policy.doc.questionnaire.fields
        if f.request_types is None or request_type in f.request_types
    ]


def next_step(policy: Policy, answers: Mapping[str, str], fields: Mapping[str, str]) -> Step:
    qid, outcome = walk(policy, answers)
    if qid is not None:
        return Step(question_id=qid, question=policy.doc.questionnaire.questions[qid])
    assert outcome is not None
    for field in fields_for(policy, outcome.request_type):
        if field.id not in fields:
            return Step(field=field)
    return Step()


def outcome(policy: Policy, answers: Mapping[str, str]) -> Outcome | None:
    return walk(policy, answers)[1]


def match_answer(question: Question, text: str) -> Answer | None:
    """An answer by its number (1-based), its id, or its label in any language."""
    wanted = text.strip().casefold()
    if wanted.isdecimal():  # not isdigit: "²" is a digit that int() refuses
        index = int(wanted) - 1
        return question.answers[index] if 0 <= index < len(question.answers) else None
    for answer in question.answers:
        labels = (answer.label.nl, answer.label.de, answer.label.en)
        if wanted == answer.id.casefold() or wanted in (label.casefold() for label in labels):
            return answer
    return None
