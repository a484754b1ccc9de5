"""Reporting an incident: the refusal of unregistered people, the policy's questionnaire,
the proposed priority with its deadlines, and filing.

Flow (one step per message; the state is a ``Draft`` row, so a restart resumes it)::

    /incident ─▶ registered? ─no─▶ refuse (or, under Plek, ask for the text and forward it)
                    │yes
                    ▼
          question ─▶ ... ─▶ question ─▶ field ─▶ ... ─▶ confirm ─▶ filed (card to support)
          (an invalid answer is asked again with a hint; /cancel leaves at any step)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from handlers.cards import cards, kind_label
from handlers.people import Person, contact_chat, identify
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
from sla.clock import clock_for
from sla.directory import contacts_with_role
from sla.i18n import translator
from sla.models import Contact, Customer, Draft
from sla.policy import Policy
from sla.policy_schema import Question, ReportField
from sla.questionnaire import fields_for, match_answer, next_step, outcome
from sla.service import open_incident, tier_of

CONFIRM_WORDS = {"ok", "yes", "y", "ja", "j", "confirm", "bevestig", "bestätigen"}
CANCEL_WORDS = {"no", "n", "nee", "nein", "cancel", "annuleer", "abbrechen"}
MAX_FIELD_LENGTH = 4000


# Built once: every message looks its draft up, and building the select costs more than
# running it (see ``sla.directory``).
_DRAFT = (
    select(Draft)
    .where(col(Draft.platform) == bindparam("platform"))
    .where(col(Draft.user_id) == bindparam("user_id"))
)


def get_draft(session: Session, platform: str, user_id: str) -> Draft | None:
    return session.exec(_DRAFT, params={"platform": platform, "user_id": user_id}).first()


def drop_draft(session: Session, platform: str, user_id: str) -> bool:
    draft = get_draft(session, platform, user_id)
    if draft is None:
        return False
    session.delete(draft)
    session.flush()  # the unit of work would insert a replacement before deleting this one
    return True


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
    session.add(draft)
    assert person.customer is not None
    intro = t._(
        "New incident for {customer}. Answer each question; /cancel stops at any time.",
        customer=person.customer.name,
    )
    return [Reply(intro, lang=t.lang), _ask(person, draft)]


def refuse(session: Session, person: Person, text: str, now: datetime) -> list[Reply]:
    t = person.t
    customer, policy = person.customer, person.policy
    if customer is not None and policy is not None and policy.doc.filing.unregistered == "forward":
        # Plek 3.1: questions from other users go to the customer's Beheerders.
        if text.strip():
            return forward(session, person, customer, policy, text.strip())
        session.add(
            Draft(
                platform=person.user.platform,
                user_id=person.user.id,
                chat_id=person.chat.id,
                kind="forward",
                updated_at=now,
                data={"customer": customer.id},
            )
        )
        return [
            Reply(
                t._(
                    "Only registered contact persons of {customer} can report incidents to "
                    "support. Describe your question in one message and I will pass it on to "
                    "them.",
                    customer=customer.name,
                ),
                lang=t.lang,
                prompt=Prompt("forward", t._("Your question for your contact persons:")),
            )
        ]
    lines = [t._("Sorry, only registered contact persons can report incidents here.")]
    if customer is not None:
        lines.append(
            t._(
                "You are not registered as a contact person of {customer} who may report "
                "incidents. Ask one of your organisation's contact persons to have you "
                "registered with support.",
                customer=customer.name,
            )
        )
    else:
        lines.append(
            t._(
                "Ask your organisation's contact person to have you registered with support, "
                "then try again."
            )
        )
    if policy is not None and policy.doc.filing.hint is not None:
        lines.append(policy.doc.filing.hint.get(t.lang))
    return [Reply("\n".join(lines), lang=t.lang, ephemeral=True)]


def forward(
    session: Session, person: Person, customer: Customer, policy: Policy, text: str
) -> list[Reply]:
    """Pass a non-registered user's question to the customer's registered contacts."""
    t = person.t
    recipients: list[Contact] = []
    for role in policy.doc.filing.forward_to:
        recipients += [
            c for c in contacts_with_role(session, customer.id, role) if c not in recipients
        ]
    replies = []
    name = person.user.name or person.user.id
    for contact in recipients:
        chat = contact_chat(contact, person.user.platform)
        if chat is None:
            continue
        rt = translator(contact.language or customer.language or policy.doc.language)
        replies.append(
            Reply(
                rt._(
                    "{name} asked support a question; as a registered contact person, please "
                    "handle it or report it with /incident:",
                    name=name,
                )
                + "\n\n"
                + text[:MAX_FIELD_LENGTH],
                chat=chat,
                lang=rt.lang,
            )
        )
    if not replies:
        return [
            Reply(
                t._(
                    "Sorry, {customer} has no registered contact person I can reach. "
                    "Please contact support another way.",
                    customer=customer.name,
                ),
                lang=t.lang,
            )
        ]
    names = ", ".join(c.name for c in recipients)
    replies.insert(
        0, Reply(t._("Your question was passed on to: {names}.", names=names), lang=t.lang)
    )
    return replies


def _policy_and_customer(session: Session, draft: Draft) -> tuple[Contact, Customer, Policy]:
    from sla.service import policy_of

    contact = session.get(Contact, draft.contact_id)
    assert contact is not None
    customer = session.get(Customer, contact.customer_id)
    assert customer is not None
    return contact, customer, policy_of(customer)


def _ask(person: Person, draft: Draft, hint: str | None = None) -> Reply:
    policy = person.policy
    assert policy is not None
    t = person.t
    step = next_step(policy, draft.answers, draft.fields)
    if step.question is not None and step.question_id is not None:
        return _question_reply(t.lang, step.question_id, step.question, hint)
    if step.field is not None:
        return _field_reply(t.lang, step.field, hint)
    return _confirmation(person, draft)


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


def _confirmation(person: Person, draft: Draft) -> Reply:
    policy, customer = person.policy, person.customer
    assert policy is not None and customer is not None
    t = person.t
    result = outcome(policy, draft.answers)
    assert result is not None
    priority = allowed_priority(policy, tier_of(customer), result.priority)
    key = priority or result.request_type
    now = draft.updated_at
    deadlines = clock_for(policy).deadlines(key, reported_at=now)
    tz = policy.doc.calendar.timezone

    def when(due: datetime | None, started: datetime | None) -> str:
        if due is not None:
            return t.datetime(due, tz)
        if started is None:
            return t._("starts when the root cause is known")
        return t._("no deadline")

    facts: list[tuple[str, str]] = []
    if priority is not None:
        prio = policy.doc.priorities[priority]
        facts.append((t._("Proposed priority"), f"{priority} · {prio.label.get(t.lang)}"))
        facts.append((t._("Meaning"), prio.description.get(t.lang)))
    else:
        facts.append((t._("Kind"), policy.request_types[result.request_type].label.get(t.lang)))
    facts.append((t._("Response due"), when(deadlines.response.due, deadlines.response.started_at)))
    facts.append(
        (t._("Resolution due"), when(deadlines.resolution.due, deadlines.resolution.started_at))
    )
    for fld in fields_for(policy, result.request_type):
        facts.append((fld.label.get(t.lang), draft.fields.get(fld.id, "")))
    text = t._("Please check your report. File it now?")
    return Reply(
        text,
        facts=tuple(facts),
        buttons=(
            Button(t._("File incident"), Action.CONFIRM, "", "primary"),
            Button(t._("Cancel"), Action.CANCEL, "", "danger"),
        ),
        prompt=Prompt(
            "confirm",
            text,
            (Choice("ok", t._("File incident")), Choice("cancel", t._("Cancel"))),
        ),
        lang=t.lang,
    )


def allowed_priority(policy: Policy, tier: str | None, priority: str | None) -> str | None:
    """The proposed priority, or the next lower one the customer's tier may use."""
    if priority is None or tier is None:
        return priority
    order = list(policy.doc.priorities)
    for pid in order[order.index(priority) :]:
        tiers = policy.doc.priorities[pid].tiers
        if tiers is None or tier in tiers:
            return pid
    return priority


def answer(session: Session, draft: Draft, event: Text | ButtonPress, now: datetime) -> list[Reply]:
    """One answer to the current step: a choice, a field's text, or the confirmation."""
    person = identify(session, event.user, event.chat)
    contact, customer, policy = _policy_and_customer(session, draft)
    person.contact, person.customer = contact, customer
    t = person.t
    draft.updated_at = now
    step = next_step(policy, draft.answers, draft.fields)
    raw = event.text if isinstance(event, Text) else event.value
    if isinstance(event, ButtonPress) and event.action == Action.CONFIRM:
        raw = "ok"
    if step.question is not None and step.question_id is not None:
        chosen = match_answer(step.question, raw)
        if chosen is None:
            hint = t._("Please choose one of the answers (1 to {n}).", n=len(step.question.answers))
            return [_ask(person, draft, hint)]
        draft.answers = {**draft.answers, step.question_id: chosen.id}
        _prefill(draft, policy)
    elif step.field is not None:
        text = raw.strip()
        if not text:
            return [_ask(person, draft, t._("This field is required; please type a few words."))]
        if len(text) > MAX_FIELD_LENGTH:
            hint = t._(
                "That is too long (at most {n} characters); please shorten it.", n=MAX_FIELD_LENGTH
            )
            return [_ask(person, draft, hint)]
        draft.fields = {**draft.fields, step.field.id: text}
    else:
        word = raw.strip().casefold()
        if word in CANCEL_WORDS or word == "2":
            return cancel(session, event.user.platform, event.user.id, person.lang)
        if word not in CONFIRM_WORDS and word != "1":
            return [_ask(person, draft, t._("Please answer yes to file it, or /cancel."))]
        return file(session, person, draft, now)
    session.add(draft)
    return [_ask(person, draft)]


def _prefill(draft: Draft, policy: Policy) -> None:
    """Text typed after ``/incident`` becomes the first free-text field."""
    text = draft.data.get("text")
    result = outcome(policy, draft.answers)
    if not text or result is None:
        return
    wanted = fields_for(policy, result.request_type)
    if wanted and wanted[0].id not in draft.fields:
        draft.fields = {**draft.fields, wanted[0].id: str(text)}


def file(session: Session, person: Person, draft: Draft, now: datetime) -> list[Reply]:
    contact, customer, policy = _policy_and_customer(session, draft)
    result = outcome(policy, draft.answers)
    assert result is not None
    priority = allowed_priority(policy, tier_of(customer), result.priority)
    incident = open_incident(
        session=session,
        customer=customer,
        reporter=contact,
        request_type=result.request_type,
        priority=priority,
        answers=draft.answers,
        fields=draft.fields,
        language=person.lang,
        now=now,
        origin=(person.user.platform, person.chat.id),
    )
    if draft.id is not None:  # a form's draft (``submit_form``) was never stored
        session.delete(draft)
    t = person.t
    tz = policy.doc.calendar.timezone
    lines = [
        t._("Filed as {ref} ({kind}).", ref=incident.ref, kind=kind_label(t, policy, incident))
    ]
    if incident.response_due:
        lines.append(t._("Support responds by {when}.", when=t.datetime(incident.response_due, tz)))
    if incident.resolution_due:
        lines.append(
            t._("Resolution is due by {when}.", when=t.datetime(incident.resolution_due, tz))
        )
    lines.append(t._("Type /status to follow it."))
    replies = [Reply("\n".join(lines), lang=t.lang, tags=("filed",))]
    replies += cards(
        session,
        incident,
        customer=customer,
        reporter=contact,
        assignee=None,
        now=now,
        headline=t._("New incident {ref}", ref=incident.ref),
    )
    return replies


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
    session.add(draft)
    return [_ask(person, draft, person.t._("Some answers are missing; please complete them."))]


def cancel(session: Session, platform: str, user_id: str, lang: str) -> list[Reply]:
    t = translator(lang)
    if drop_draft(session, platform, user_id):
        return [Reply(t._("Cancelled. Nothing was filed."), lang=t.lang)]
    return [Reply(t._("There is nothing to cancel."), lang=t.lang)]


def forward_answer(session: Session, draft: Draft, event: Text, now: datetime) -> list[Reply]:
    """The question a non-registered user typed after being told it would be forwarded."""
    person = identify(session, event.user, event.chat)
    text = event.text.strip()
    if not text:
        return [
            Reply(
                person.t._("Please type your question in one message, or /cancel."),
                lang=person.lang,
            )
        ]
    session.delete(draft)
    customer = session.get(Customer, str(draft.data.get("customer", "")))
    if customer is None:
        return refuse(session, person, "", now)
    from sla.service import policy_of

    return forward(session, person, customer, policy_of(customer), text)
