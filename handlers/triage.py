"""Support staff working an incident: acknowledge, re-prioritise, assign, root cause, wait on the
customer and resume, resolve, reopen and close.

Each action is a button on the card or a command (``/ack PLEK-42``). Actions that need words
(a reason, what was done) ask for them in the next message. The reporter hears of every status
change in their language (``handlers.triage_notices``); a non-staff person is refused and nothing
changes (``handlers.refusals``). Linking problems, ``/problem``, is in ``handlers.problems``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from handlers.drafts import delete_draft, drop_draft, save_draft
from handlers.people import Person, example_ref, identify
from handlers.refusals import error_text, is_staff, refuse_non_staff
from handlers.triage_notices import after_change
from handlers.types import Action, Button, ButtonPress, Command, Prompt, Reply, Text
from sla import service
from sla.clock import TierNotAllowed
from sla.directory import contact_by_id, customer_by_id
from sla.models import Draft, Incident, Staff
from sla.report_words import kind_name
from sla.service import SYSTEM, Actor, ServiceError, find_incident, policy_of, tier_of

STAFF_COMMANDS = {
    "ack": Action.ACK,
    "priority": Action.SET_PRIORITY,
    "wait": Action.WAIT,
    "resume": Action.RESUME,
    "resolve": Action.RESOLVE,
    "rootcause": Action.ROOT_CAUSE,
    "assign": Action.ASSIGN_ME,
    "reopen": Action.REOPEN,
    "close": Action.CLOSE,
    "inform": Action.EXPLAIN_BREACH,
}
# Actions that need a text; the prompt that asks for it.
NEEDS_TEXT = {
    Action.WAIT: "wait",
    Action.RESOLVE: "resolve",
    Action.REOPEN: "reopen",
    Action.EXPLAIN_BREACH: "inform",
}


def parse_ref(args: str) -> tuple[str, str]:
    """``PLEK-1`` and the rest; a reference typed as a sentence (``PLEK-1.``) counts too."""
    ref, _, rest = args.strip().partition(" ")
    return ref.strip(".,;:!?").upper(), rest.strip()


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    """``/ack REF``, ``/priority REF P2 reason``, ``/resolve REF what was done`` ..."""
    person = identify(session, event.user, event.chat)
    if not is_staff(person):
        return refuse_non_staff(person)
    ref, rest = parse_ref(event.args)
    if not ref:
        return [
            Reply(
                person.t._(
                    "Which incident? For example: /{name} {example}",
                    name=event.name,
                    example=example_ref(person),
                ),
                lang=person.lang,
            )
        ]
    action = STAFF_COMMANDS[event.name]
    if action == Action.SET_PRIORITY:
        priority, _, reason = rest.partition(" ")
        if not priority:
            return press(session, ButtonPress(Action.PRIORITY, ref, event.user, event.chat), now)
        if not reason.strip():
            return _ask_text(session, person, ref, "priority", now, {"priority": priority})
        return act(session, person, ref, action, now, text=reason, priority=priority)
    if action in NEEDS_TEXT and not rest:
        return _ask_text(session, person, ref, NEEDS_TEXT[action], now)
    return act(session, person, ref, action, now, text=rest)


def press(session: Session, event: ButtonPress, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    if not is_staff(person):
        return refuse_non_staff(person)
    if event.action == Action.PRIORITY:
        return _priority_choices(session, person, event.value)
    if event.action == Action.SET_PRIORITY:
        ref, _, priority = event.value.partition(" ")
        return _ask_text(session, person, ref, "priority", now, {"priority": priority})
    if event.action in NEEDS_TEXT:
        return _ask_text(session, person, event.value, NEEDS_TEXT[event.action], now)
    return act(session, person, event.value, event.action, now)


def _priority_choices(session: Session, person: Person, ref: str) -> list[Reply]:
    incident = find_incident(session, ref)
    if incident is None:
        return [Reply(person.t._("There is no incident {ref}.", ref=ref), lang=person.lang)]
    customer = customer_by_id(session, incident.customer_id)
    assert customer is not None
    policy = policy_of(customer)
    t = person.t
    buttons = tuple(
        Button(kind_name(t, policy, pid), Action.SET_PRIORITY, f"{ref} {pid}")
        for pid, prio in policy.doc.priorities.items()
        if pid != incident.priority and (prio.tiers is None or tier_of(customer) in prio.tiers)
    )
    return [
        Reply(t._("New priority for {ref}?", ref=ref), buttons=buttons, lang=t.lang, ephemeral=True)
    ]


def _ask_text(
    session: Session,
    person: Person,
    ref: str,
    kind: str,
    now: datetime,
    data: dict[str, str] | None = None,
) -> list[Reply]:
    t = person.t
    if find_incident(session, ref) is None:
        return [Reply(t._("There is no incident {ref}.", ref=ref), lang=t.lang)]
    drop_draft(session, person.user.platform, person.user.id)
    save_draft(
        session,
        Draft(
            platform=person.user.platform,
            user_id=person.user.id,
            chat_id=person.chat.id,
            kind=kind,
            ref=ref.upper(),
            data=data or {},
            updated_at=now,
        ),
    )
    questions = {
        "priority": t._(
            "Why does {ref} get priority {priority}? (the reason is kept in the log)",
            ref=ref,
            priority=(data or {}).get("priority", ""),
        ),
        "wait": t._("What do you need from the customer for {ref}?", ref=ref),
        "resolve": t._("What was done to resolve {ref}? The reporter receives this.", ref=ref),
        "reopen": t._("Why is {ref} reopened?", ref=ref),
        "inform": t._(
            "What should the customer hear about {ref}? Give the reason and the new expected "
            "end time; the reporter receives this.",
            ref=ref,
        ),
    }
    text = questions[kind]
    return [Reply(text, prompt=Prompt(kind, text), lang=t.lang)]


def text_answer(session: Session, draft: Draft, event: Text, now: datetime) -> list[Reply]:
    """The words a staff action was waiting for."""
    person = identify(session, event.user, event.chat)
    if is_staff(person) and draft.ref is not None and not event.text.strip():
        # Nothing said: ask again, the action still waits for its words.
        data = {key: str(value) for key, value in draft.data.items()}
        return _ask_text(session, person, draft.ref, draft.kind, now, data)
    delete_draft(session, draft)
    if not is_staff(person) or draft.ref is None:
        return refuse_non_staff(person)
    action = {v: k for k, v in NEEDS_TEXT.items()}.get(draft.kind, Action.SET_PRIORITY)
    priority = str(draft.data.get("priority", "")) or None
    return act(session, person, draft.ref, action, now, text=event.text, priority=priority)


def act(
    session: Session,
    person: Person,
    ref: str,
    action: Action,
    now: datetime,
    *,
    text: str = "",
    priority: str | None = None,
) -> list[Reply]:
    """Carry out one staff action; updated cards plus a note to the reporter."""
    t = person.t
    incident = find_incident(session, ref)
    if incident is None:
        return [Reply(t._("There is no incident {ref}.", ref=ref), lang=t.lang)]
    customer = customer_by_id(session, incident.customer_id)
    reporter = contact_by_id(session, incident.reporter_id)
    assert customer is not None and reporter is not None and person.staff is not None
    policy = policy_of(customer)
    actor = Actor.of(person.staff)
    changes: dict[Action, Callable[[], None]] = {
        Action.ACK: lambda: service.acknowledge(
            session=session, incident=incident, actor=actor, now=now
        ),
        Action.SET_PRIORITY: lambda: service.change_priority(
            session=session,
            incident=incident,
            policy=policy,
            tier=tier_of(customer),
            actor=actor,
            priority=priority or "",
            reason=text,
            now=now,
        ),
        Action.WAIT: lambda: service.wait_on_customer(
            session=session,
            incident=incident,
            policy=policy,
            actor=actor,
            now=now,
            reason=text or None,
        ),
        Action.RESUME: lambda: service.resume(
            session=session, incident=incident, policy=policy, actor=actor, now=now
        ),
        Action.RESOLVE: lambda: service.resolve(
            session=session, incident=incident, policy=policy, actor=actor, note=text, now=now
        ),
        Action.ROOT_CAUSE: lambda: service.record_root_cause(
            session=session,
            incident=incident,
            policy=policy,
            actor=actor,
            now=now,
            note=text or None,
        ),
        Action.ASSIGN_ME: lambda: _assign(session, incident, actor, person.staff, text, now),
        Action.REOPEN: lambda: service.reopen(
            session=session, incident=incident, actor=actor, reason=text, now=now
        ),
        Action.CLOSE: lambda: service.close(
            session=session, incident=incident, actor=actor, now=now
        ),
        Action.EXPLAIN_BREACH: lambda: service.inform(
            session=session, incident=incident, actor=actor, message=text, now=now
        ),
    }
    try:
        changes[action]()
    except ServiceError as error:
        return [Reply(error_text(t, error), ephemeral=True, alert=True, lang=t.lang)]
    except TierNotAllowed:
        return [
            Reply(
                t._(
                    "{customer}'s contract does not include priority {priority}.",
                    customer=customer.name,
                    priority=priority or "",
                ),
                ephemeral=True,
                alert=True,
                lang=t.lang,
            )
        ]
    session.add(incident)
    session.flush()
    return after_change(
        session,
        incident,
        customer,
        reporter,
        policy,
        action,
        now,
        actor_name=person.staff.name,
        text=text,
    )


def _assign(
    session: Session,
    incident: Incident,
    actor: Actor,
    me: Staff | None,
    handle: str,
    now: datetime,
) -> None:
    target = me
    if handle.strip():
        target = session.exec(select(Staff).where(Staff.handle == handle.strip().lower())).first()
        if target is None:
            raise ServiceError("unknown_staff", handle=handle.strip(), ref=incident.ref)
    assert target is not None
    service.assign(session=session, incident=incident, actor=actor, assignee=target, now=now)


__all__ = ["SYSTEM", "act", "command", "press", "text_answer"]
