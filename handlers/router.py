"""One entry point for every inbound event: which handler answers it, in one transaction.

The mapping is explicit (no decorators on globals), so reading this file tells what the bot
understands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from handlers import (
    customer_reply,
    directory,
    drafts,
    escalation,
    help,
    intake,
    maintenance,
    problems,
    reports,
    status,
    triage,
    unregistered,
)
from handlers.people import identify
from handlers.types import Action, ButtonPress, Command, Inbound, Reply, Text
from sla.db import session_scope
from sla.i18n import Translator, translator
from sla.models import Draft

log = logging.getLogger(__name__)
Handler = Callable[[Session, Command, datetime], list[Reply]]

COMMANDS: dict[str, Handler] = {
    "start": help.command,
    "help": help.command,
    "incident": intake.start,
    "status": status.command,
    "escalate": escalation.command,
    "contacts": directory.command,
    "problem": problems.problem_command,
    "report": reports.command,
    "outage": reports.outage_command,
    "maintenance": maintenance.command,
    **{name: triage.command for name in triage.STAFF_COMMANDS},
}
INTAKE_ACTIONS = (Action.ANSWER, Action.CONFIRM, Action.CANCEL)


def dispatch(session: Session, event: Inbound, now: datetime) -> list[Reply]:
    """The replies to one event; changes go into ``session`` (the caller commits)."""
    event = without_nul(event)
    if isinstance(event, Command):
        return _command(session, event, now)
    if isinstance(event, Text):
        return _text(session, event, now)
    if isinstance(event, ButtonPress):
        return _press(session, event, now)
    return intake.submit_form(session, event, now)


def without_nul(event: Inbound) -> Inbound:
    """The event with NUL characters taken out of what people typed and their names: they mean
    nothing in a chat, and PostgreSQL cannot store them (a reason, a note, a name)."""
    user = replace(event.user, name=event.user.name.replace("\x00", ""))
    if isinstance(event, Command):
        return replace(event, args=event.args.replace("\x00", ""), user=user)
    if isinstance(event, Text):
        return replace(event, text=event.text.replace("\x00", ""), user=user)
    if isinstance(event, ButtonPress):
        return replace(event, value=event.value.replace("\x00", ""), user=user)
    values = {k: v.replace("\x00", "") for k, v in event.values.items()}
    return replace(event, values=values, user=user)


def _command(session: Session, event: Command, now: datetime) -> list[Reply]:
    name = event.name.lower().lstrip("/").split("@")[0]
    if name == "cancel":
        person = identify(session, event.user, event.chat)
        return intake.cancel(session, event.user.platform, event.user.id, person.lang)
    handler = COMMANDS.get(name)
    if handler is None:
        t = identify(session, event.user, event.chat).t
        return [
            Reply(
                t._("I do not know /{name}. /help lists what you can do here.", name=name),
                lang=t.lang,
            )
        ]
    return handler(session, Command(name, event.args, event.user, event.chat), now)


def _text(session: Session, event: Text, now: datetime) -> list[Reply]:
    draft = drafts.get_draft(session, event.user.platform, event.user.id)
    dropped: list[Reply] = []
    if draft is not None and drafts.expired(draft, now):
        drafts.delete_draft(session, draft)
        if event.chat.private or draft.chat_id == event.chat.id:
            dropped = _dropped(identify(session, event.user, event.chat).t, draft)
        draft = None
    if draft is None:
        if not event.chat.private:
            return dropped  # ordinary conversation in a group is none of the bot's business
        person = identify(session, event.user, event.chat)
        answered = customer_reply.answer_waiting(session, person, event, now)
        if answered:
            return dropped + answered
        pointer = person.t._("Type /incident to report an incident, or /help.")
        return [*dropped, Reply(pointer, lang=person.t.lang)]
    if not event.chat.private and draft.chat_id != event.chat.id:
        return []  # chatter in a group is not the answer to a question asked elsewhere
    if draft.kind == "intake":
        return intake.answer(session, draft, event, now)
    if draft.kind == "forward":
        return unregistered.forward_answer(session, draft, event, now)
    return triage.text_answer(session, draft, event, now)


def _dropped(t: Translator, draft: Draft) -> list[Reply]:
    """What the person hears of a draft of theirs that expired (``drafts.KEPT``)."""
    if draft.kind == "intake":
        text = t._("Your unfinished report was dropped after a day without an answer.")
    else:
        text = t._("The question you had not answered was dropped after a day.")
    return [Reply(text, lang=t.lang)]


def _press(session: Session, event: ButtonPress, now: datetime) -> list[Reply]:
    if event.action not in INTAKE_ACTIONS:
        return triage.press(session, event, now)
    draft = drafts.get_draft(session, event.user.platform, event.user.id)
    if event.action == Action.CANCEL:
        lang = identify(session, event.user, event.chat).lang
        return intake.cancel(session, event.user.platform, event.user.id, lang)
    if draft is not None and drafts.expired(draft, now):
        drafts.delete_draft(session, draft)
        draft = None
    if draft is None or draft.kind != "intake":
        t = identify(session, event.user, event.chat).t
        return [
            Reply(
                t._("This question has expired. Type /incident to start again."),
                lang=t.lang,
                alert=True,
                ephemeral=True,
            )
        ]
    return intake.answer(session, draft, event, now)


class Router:
    """Runs :func:`dispatch` in its own transaction with the injected clock."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    def handle(self, event: Inbound) -> list[Reply]:
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                return dispatch(session, event, now)
        except Exception:
            log.exception("handler failed for %s", type(event).__name__)
            t = translator(getattr(event.user, "locale", None))
            return [
                Reply(
                    t._("Sorry, something went wrong and nothing was changed. Please try again."),
                    lang=t.lang,
                    ephemeral=True,
                )
            ]
