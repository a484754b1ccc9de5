"""Reporting an incident: the refusal of unregistered people, the policy's questionnaire,
the proposed priority with its deadlines, and filing.

Flow (one step per message; the state is a ``Draft`` row, so a restart resumes it)::

    /incident ─▶ registered? ─no─▶ refuse (or, under Plek, ask for the text and forward it)
                    │yes
                    ▼
          question ─▶ ... ─▶ question ─▶ field ─▶ ... ─▶ confirm ─▶ filed (card to support)
          (an invalid answer is asked again with a hint; /cancel leaves at any step)

This module walks the questionnaire. The refusal and forwarding are in ``handlers.unregistered``,
the confirmation and filing in ``handlers.intake_filing``, the draft itself in
``handlers.drafts``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.drafts import MAX_FIELD_LENGTH, drop_draft, save_draft
from handlers.intake_filing import confirmation, file, policy_and_customer
from handlers.people import Person, identify
from handlers.types import (
    Action,
    Button,
    ButtonPress,
    Choice,
    Command,
    FormSubmit,
    Prompt,
    Reply,
    Text,
)
from handlers.unregistered import refuse
from sla.i18n import translator
from sla.models import Draft
from sla.policy import Policy
from sla.policy_schema import Question, ReportField
from sla.questionnaire import fields_for, match_answer, next_step, outcome

CONFIRM_WORDS = {"ok", "yes", "y", "ja", "j", "confirm", "bevestig", "bestätigen"}
CANCEL_WORDS = {"no", "n", "nee", "nein", "cancel", "annuleer", "abbrechen"}


def may_file(person: Person) -> bool:
    if person.contact is None or person.policy is None:
        return False
    roles = person.policy.doc.roles
    return any(roles[r].may_file for r in person.contact.roles if r in roles)


def start(session: Session, event: Command, now: datetime) -> list[Reply]:
    """``/incident``: start the questionnaire, or refuse (or forward) in the person's language."""
    person = identify(session, event.user, event.chat)
    t = person.t
    drop_draft(session, event.user.platform, event.user.id)
    if not may_file(person):
        return refuse(session, person, event.args, now)
    assert person.contact is not None and person.contact.id is not None
    draft = Draft(
        platform=event.user.platform,
        user_id=event.user.id,
        chat_id=event.chat.id,
        kind="intake",
        contact_id=person.contact.id,
        updated_at=now,
    )
    text = event.args.strip()
    if text:
        draft.data = {"text": text[:MAX_FIELD_LENGTH]}
    save_draft(session, draft)
    assert person.customer is not None
    intro = t._(
        "New incident for {customer}. Answer each question; /cancel stops at any time.",
        customer=person.customer.name,
    )
    return [Reply(intro, lang=t.lang), _ask(person, draft)]


def _ask(person: Person, draft: Draft, hint: str | None = None) -> Reply:
    policy = person.policy
    assert policy is not None
    t = person.t
    step = next_step(policy, draft.answers, draft.fields)
    if step.question is not None and step.question_id is not None:
        return _question_reply(t.lang, step.question_id, step.question, hint)
    if step.field is not None:
        return _field_reply(t.lang, step.field, hint)
    return confirmation(person, draft, hint)


def _question_reply(lang: str, qid: str, question: Question, hint: str | None) -> Reply:
    t = translator(lang)
    choices = tuple(Choice(a.id, a.label.get(lang)) for a in question.answers)
    text = question.text.get(lang)
    buttons = tuple(Button(c.label, Action.ANSWER, c.id) for c in choices)
    buttons += (Button(t._("Cancel"), Action.CANCEL, "", "danger"),)
    return Reply(
        f"{hint}\n{text}" if hint else text,
        prompt=Prompt(qid, text, choices, hint),
        buttons=buttons,
        lang=lang,
    )


def _field_reply(lang: str, field: ReportField, hint: str | None) -> Reply:
    label = field.label.get(lang)
    help_text = field.hint.get(lang) if field.hint else None
    text = f"{label}: {help_text}" if help_text else f"{label}:"
    return Reply(
        f"{hint}\n{text}" if hint else text,
        prompt=Prompt(f"field:{field.id}", label, (), help_text, field.multiline),
        lang=lang,
    )


def answer(session: Session, draft: Draft, event: Text | ButtonPress, now: datetime) -> list[Reply]:
    """One answer to the current step: a choice, a field's text, or the confirmation."""
    person = identify(session, event.user, event.chat)
    contact, customer, policy = policy_and_customer(session, draft)
    person.contact, person.customer = contact, customer
    t = person.t
    draft.updated_at = now
    step = next_step(policy, draft.answers, draft.fields)
    raw = event.text if isinstance(event, Text) else event.value
    if isinstance(event, ButtonPress) and event.action == Action.CONFIRM:
        raw = "ok"

    def ask(hint: str | None = None) -> list[Reply]:
        save_draft(session, draft)
        return [_ask(person, draft, hint)]

    if step.question is not None and step.question_id is not None:
        chosen = match_answer(step.question, raw)
        if chosen is None:
            return ask(
                t._("Please choose one of the answers (1 to {n}).", n=len(step.question.answers))
            )
        draft.answers = {**draft.answers, step.question_id: chosen.id}
        _prefill(draft, policy)
    elif step.field is not None:
        text = raw.strip()
        if not text:
            return ask(t._("This field is required; please type a few words."))
        if len(text) > MAX_FIELD_LENGTH:
            return ask(
                t._(
                    "That is too long (at most {n} characters); please shorten it.",
                    n=MAX_FIELD_LENGTH,
                )
            )
        draft.fields = {**draft.fields, step.field.id: text}
    else:
        word = raw.strip().casefold()
        if word in CANCEL_WORDS or word == "2":
            return cancel(session, event.user.platform, event.user.id, person.lang)
        if word not in CONFIRM_WORDS and word != "1":
            return ask(t._("Please answer yes to file it, or /cancel."))
        return file(session, person, draft, now)
    return ask()


def _prefill(draft: Draft, policy: Policy) -> None:
    """Text typed after ``/incident`` becomes the first free-text field."""
    text = draft.data.get("text")
    result = outcome(policy, draft.answers)
    if not text or result is None:
        return
    wanted = fields_for(policy, result.request_type)
    if wanted and wanted[0].id not in draft.fields:
        draft.fields = {**draft.fields, wanted[0].id: str(text)}


def submit_form(session: Session, event: FormSubmit, now: datetime) -> list[Reply]:
    """A whole questionnaire at once (a Slack modal); every value is checked like a message."""
    person = identify(session, event.user, event.chat)
    if not may_file(person):
        return refuse(session, person, "", now)
    assert person.contact is not None and person.policy is not None
    draft = Draft(
        platform=event.user.platform,
        user_id=event.user.id,
        chat_id=event.chat.id,
        kind="intake",
        contact_id=person.contact.id,
        updated_at=now,
    )
    policy = person.policy
    # One step per question and field at most, and one more to find the form complete.
    steps = len(policy.doc.questionnaire.questions) + len(policy.doc.questionnaire.fields) + 1
    for _ in range(steps):
        step = next_step(policy, draft.answers, draft.fields)
        if step.done:
            return file(session, person, draft, now)
        if step.question is not None and step.question_id is not None:
            chosen = match_answer(step.question, event.values.get(step.question_id, ""))
            if chosen is None:
                break
            draft.answers = {**draft.answers, step.question_id: chosen.id}
        elif step.field is not None:
            value = event.values.get(step.field.id, "").strip()
            if not value:
                break
            draft.fields = {**draft.fields, step.field.id: value[:MAX_FIELD_LENGTH]}
    save_draft(session, draft)
    return [_ask(person, draft, person.t._("Some answers are missing; please complete them."))]


def cancel(session: Session, platform: str, user_id: str, lang: str) -> list[Reply]:
    t = translator(lang)
    if drop_draft(session, platform, user_id):
        return [Reply(t._("Cancelled. Nothing was filed."), lang=t.lang)]
    return [Reply(t._("There is nothing to cancel."), lang=t.lang)]
