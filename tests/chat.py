"""A test driver for the handlers: people type and press, the clock moves only when told."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from handlers.router import Router
from handlers.types import Action, ButtonPress, ChatRef, Command, Reply, Text, UserRef
from sla.models import Incident, IncidentEvent


class ChatDriver:
    """Console identities (``anna``, ``support``) acting in their private chat or a channel."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now
        self.router = Router(engine, clock=lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def say(
        self, who: str, text: str, *, chat: str | None = None, locale: str | None = None
    ) -> list[Reply]:
        user = UserRef("console", who, who.title(), locale)
        where = ChatRef("console", chat or who, private=chat is None)
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            return self.router.handle(Command(name, args, user, where))
        return self.router.handle(Text(text, user, where))

    def press(
        self, who: str, action: Action, value: str = "", *, chat: str = "support"
    ) -> list[Reply]:
        user = UserRef("console", who, who.title())
        return self.router.handle(ButtonPress(action, value, user, ChatRef("console", chat, False)))

    def report(self, who: str, *answers: str) -> list[Reply]:
        """``/incident`` followed by each answer; the replies to the last one."""
        replies = self.say(who, "/incident")
        for answer in answers:
            replies = self.say(who, answer)
        return replies

    def incident(self, ref: str) -> Incident:
        with Session(self.engine) as session:
            found = session.exec(select(Incident).where(Incident.ref == ref)).one()
            session.expunge(found)
            return found

    def events(self, ref: str) -> list[IncidentEvent]:
        with Session(self.engine) as session:
            incident = session.exec(select(Incident).where(Incident.ref == ref)).one()
            rows = session.exec(
                select(IncidentEvent)
                .where(IncidentEvent.incident_id == incident.id)
                .order_by(IncidentEvent.id)  # type: ignore[arg-type]
            ).all()
            return list(rows)


def to(replies: list[Reply], chat_id: str) -> list[Reply]:
    """The replies addressed to one chat."""
    return [r for r in replies if r.chat is not None and r.chat.id == chat_id]


def origin(replies: list[Reply]) -> list[Reply]:
    """The replies to the chat the event came from."""
    return [r for r in replies if r.chat is None]
