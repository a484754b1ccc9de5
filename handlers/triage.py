"""Support staff working an incident: acknowledge, re-prioritise, assign, root cause, wait on the
customer and resume, resolve, reopen, close, and link problems.

Each action is a button on the card or a command (``/ack PLEK-42``). Actions that need words
(a reason, what was done) ask for them in the next message. The reporter hears of every status
change in their language; a non-staff person is refused and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from handlers.cards import cards, kind_label, status_label
from handlers.people import Person, contact_chat, identify, reporter_chat
from handlers.types import Action, Button, ButtonPress, Command, Prompt, Reply, Text
from sla import service
from sla.clock import TierNotAllowed
from sla.directory import contacts_with_role
from sla.i18n import Translator, translator
from sla.models import Contact, Customer, Draft, Incident, Problem, Staff
from sla.policy import Policy
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


def is_staff(person: Person) -> bool:
    return person.staff is not None and bool(person.staff.roles)


def refuse_non_staff(person: Person) -> list[Reply]:
    return [
        Reply(
            person.t._("Only support staff can do this."),
            ephemeral=True,
            alert=True,
            lang=person.lang,
        )
    ]


def error_text(t: Translator, error: ServiceError) -> str:
    """A service refusal worded for people."""
    messages = {
        "bad_status": lambda: t._(
            "{ref} is {status}; that cannot be done now.",
            ref=error.params["ref"],
            status=status_label(t, error.params["status"]),
        ),
        "already_acknowledged": lambda: t._("{ref} was already acknowledged.", **error.params),
        "reason_required": lambda: t._("Please give a reason."),
        "note_required": lambda: t._("Please say what was done."),
        "unknown_priority": lambda: t._("There is no priority {priority}.", **error.params),
        "same_priority": lambda: t._("The priority is {priority} already.", **error.params),
        "root_cause_known": lambda: t._(
            "The root cause of {ref} is recorded already.", **error.params
        ),
        "escalation_not_allowed": lambda: t._("Your contract does not let contacts escalate."),
        "top_level": lambda: t._(
            "{ref} is at the highest escalation level ({level}) already.", **error.params
        ),
        "other_customer": lambda: t._("That problem belongs to another customer."),
        "already_linked": lambda: t._("{ref} is linked to {problem} already.", **error.params),
    }
    make = messages.get(error.code)
    return make() if make else t._("That cannot be done now.")


def _parse_ref(args: str) -> tuple[str, str]:
    ref, _, rest = args.strip().partition(" ")
    return ref.upper(), rest.strip()


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    """``/ack REF``, ``/priority REF P2 reason``, ``/resolve REF what was done`` ..."""
    person = identify(session, event.user, event.chat)
    if not is_staff(person):
        return refuse_non_staff(person)
    ref, rest = _parse_ref(event.args)
    if not ref:
        return [
            Reply(
                person.t._("Which incident? For example: /{name} PLEK-42", name=event.name),
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
    customer = session.get(Customer, incident.customer_id)
    assert customer is not None
    policy = policy_of(customer)
    t = person.t
    buttons = tuple(
        Button(f"{pid} · {prio.label.get(t.lang)}", Action.SET_PRIORITY, f"{ref} {pid}")
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
    from handlers.intake import drop_draft

    drop_draft(session, person.user.platform, person.user.id)
    session.add(
        Draft(
            platform=person.user.platform,
            user_id=person.user.id,
            chat_id=person.chat.id,
            kind=kind,
            ref=ref.upper(),
            data=data or {},
            updated_at=now,
        )
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
    session.delete(draft)
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
    customer = session.get(Customer, incident.customer_id)
    reporter = session.get(Contact, incident.reporter_id)
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
            raise ServiceError("unknown_staff", handle=handle)
    assert target is not None
    service.assign(session=session, incident=incident, actor=actor, assignee=target, now=now)


def after_change(
    session: Session,
    incident: Incident,
    customer: Customer,
    reporter: Contact,
    policy: Policy,
    action: Action,
    now: datetime,
    *,
    actor_name: str,
    text: str = "",
) -> list[Reply]:
    assignee = session.get(Staff, incident.assignee_id) if incident.assignee_id else None
    replies = cards(
        session, incident, customer=customer, reporter=reporter, assignee=assignee, now=now
    )
    replies += _tell_reporter(incident, reporter, policy, action, actor_name, text)
    if action == Action.ACK:
        replies += _data_breach_notices(session, incident, customer, policy)
    return replies


def _tell_reporter(
    incident: Incident, reporter: Contact, policy: Policy, action: Action, actor: str, text: str
) -> list[Reply]:
    chat = reporter_chat(incident, reporter)
    if chat is None or action == Action.ASSIGN_ME:
        return []
    t = translator(incident.language)
    ref = incident.ref
    messages = {
        Action.ACK: lambda: t._(
            "{ref}: {name} of support has picked up your report.", ref=ref, name=actor
        ),
        Action.SET_PRIORITY: lambda: t._(
            "{ref}: the priority is now {kind}. Reason: {reason}",
            ref=ref,
            kind=kind_label(t, policy, incident),
            reason=text,
        ),
        Action.WAIT: lambda: t._(
            "{ref}: support is waiting for you: {question}", ref=ref, question=text
        ),
        Action.RESUME: lambda: t._("{ref}: support is working on it again.", ref=ref),
        Action.RESOLVE: lambda: t._("{ref} is resolved. What was done: {note}", ref=ref, note=text),
        Action.ROOT_CAUSE: lambda: t._(
            "{ref}: the cause has been found; the resolution time now runs.", ref=ref
        ),
        Action.REOPEN: lambda: t._("{ref} was reopened: {reason}", ref=ref, reason=text),
        Action.CLOSE: lambda: t._("{ref} is closed.", ref=ref),
        Action.EXPLAIN_BREACH: lambda: t._(
            "{ref}: news from support: {message}", ref=ref, message=text
        ),
    }
    make = messages.get(action)
    if make is None:
        return []
    return [Reply(make(), chat=chat, lang=t.lang, tags=("reporter",))]


def _data_breach_notices(
    session: Session, incident: Incident, customer: Customer, policy: Policy
) -> list[Reply]:
    rtype = policy.request_types.get(incident.request_type)
    if rtype is None or not rtype.notify_roles:
        return []
    replies = []
    for role in rtype.notify_roles:
        for contact in contacts_with_role(session, customer.id, role):
            chat = contact_chat(contact, incident.origin_platform or "console")
            if chat is None:
                continue
            t = translator(contact.language or customer.language or policy.doc.language)
            replies.append(
                Reply(
                    t._(
                        "{ref}: {kind} reported for {customer}. Support is handling it and will "
                        "give you what you need for your own notification.",
                        ref=incident.ref,
                        kind=rtype.label.get(t.lang),
                        customer=customer.name,
                    ),
                    chat=chat,
                    lang=t.lang,
                )
            )
    return replies


def problem_command(session: Session, event: Command, now: datetime) -> list[Reply]:
    """``/problem REF PRB-3`` links; ``/problem REF new title`` opens one and links it."""
    person = identify(session, event.user, event.chat)
    if not is_staff(person):
        return refuse_non_staff(person)
    t = person.t
    ref, rest = _parse_ref(event.args)
    incident = find_incident(session, ref) if ref else None
    if incident is None or not rest:
        return [
            Reply(
                t._("Use /problem PLEK-42 PRB-3 to link, or /problem PLEK-42 new <title>."),
                lang=t.lang,
            )
        ]
    assert person.staff is not None
    actor = Actor.of(person.staff)
    word, _, title = rest.partition(" ")
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


__all__ = ["SYSTEM", "act", "command", "press", "problem_command", "text_answer"]
