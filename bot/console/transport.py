"""The terminal transport: the whole bot in a console, reading lines from stdin.

You are one person of the directory at a time (``/as anna``, ``/as support``): contacts talk in
their private chat with the bot, staff in the support channel. Questions are answered by number
or text; card buttons are shown as the commands that press them (``/ack PLEK-1``), so a script
can walk every flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.outbox_delivery import deliver_due
from bot.timers import fire_all_due
from handlers.router import Router
from handlers.triage import STAFF_COMMANDS
from handlers.types import Action, Button, ChatRef, Command, Reply, Text, UserRef
from sla.directory import customer_by_id
from sla.durations import parse_duration
from sla.i18n import Translator, translator
from sla.models import ChatBinding, Contact, Customer, Staff

SUPPORT_CHAT = "support"
# How a card button is typed in the console.
# A card's button as the staff command that does the same (``/ack PLEK-1``).
BUTTON_COMMANDS = {action: name for name, action in STAFF_COMMANDS.items()} | {
    Action.PRIORITY: "priority"  # the button that asks for the new priority
}


class Console:
    """Reads lines, hands them to the router as the current person, prints what comes back."""

    def __init__(
        self,
        engine: Engine,
        out: TextIO,
        *,
        clock: Callable[[], datetime] | None = None,
        who: str = "anna",
        echo: bool = True,
    ) -> None:
        self.engine = engine
        self.out = out
        self.base_clock = clock or (lambda: datetime.now(UTC))
        self.offset = timedelta(0)
        self.router = Router(engine, self.now)
        self.who = who
        self.running = True
        self.echo = echo

    def now(self) -> datetime:
        return self.base_clock() + self.offset

    # -- identities ---------------------------------------------------------------------------

    def people(self) -> tuple[list[Contact], list[Staff]]:
        with Session(self.engine) as session:
            contacts = session.exec(
                select(Contact).where(col(Contact.active)).order_by(col(Contact.handle))
            ).all()
            staff = session.exec(select(Staff).order_by(col(Staff.handle))).all()
            return list(contacts), list(staff)

    def _describe(self, handle: str) -> tuple[str, str, bool] | None:
        """Name, role description and language of a handle; None when unknown."""
        with Session(self.engine) as session:
            staff = session.exec(select(Staff).where(Staff.handle == handle)).first()
            if staff is not None:
                return staff.name, ", ".join(staff.roles), True
            contact = session.exec(
                select(Contact).where(Contact.handle == handle).where(col(Contact.active))
            ).first()
            if contact is not None:
                customer = customer_by_id(session, contact.customer_id)
                where = f"{customer.name} ({customer.policy})" if customer else ""
                return contact.name, f"{', '.join(contact.roles)} · {where}", False
        return None

    def _lang(self) -> Translator:
        with Session(self.engine) as session:
            person = session.exec(select(Staff).where(Staff.handle == self.who)).first() or (
                session.exec(select(Contact).where(Contact.handle == self.who)).first()
            )
            language = person.language if person is not None else None
        return translator(language)

    def _chat(self) -> ChatRef:
        described = self._describe(self.who)
        if described is not None and described[2]:
            return ChatRef("console", SUPPORT_CHAT, private=False)
        return ChatRef("console", self.who, private=True)

    # -- the loop -------------------------------------------------------------------------------

    def welcome(self) -> None:
        t = self._lang()
        self.print(
            t._(
                "slabot demo — type /help, /as NAME to be someone else, /who for the "
                "people here, /quit to stop."
            )
        )
        self._whoami()

    def run(self, lines: Iterable[str]) -> None:
        self.welcome()
        for line in lines:
            self.handle_line(line.rstrip("\n"))
            if not self.running:
                break

    def handle_line(self, line: str) -> None:
        text = line.strip()
        if not text or text.startswith("#"):
            return
        if self.echo:
            self.print(f"{self.who}> {text}")
        word, _, rest = text.partition(" ")
        if word in ("/quit", "/exit"):
            self.running = False
            return
        if word == "/as":
            self._switch(rest.strip().lower())
            return
        if word == "/who":
            self._who()
            return
        if word == "/later":
            self._later(rest.strip())
            return
        user = UserRef("console", self.who, self.who)
        chat = self._chat()
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            replies = self.router.handle(Command(name, args, user, chat))
        else:
            replies = self.router.handle(Text(text, user, chat))
        for reply in replies:
            self.show(reply, chat)
        self.tick()

    def tick(self) -> None:
        """Fire the timers that are due by now and show what they send to console chats."""
        fire_all_due(self.engine, self.now())
        asyncio.run(deliver_due(self.engine, {"console": _Printer(self)}, self.now()))

    def _later(self, text: str) -> None:
        """``/later 2h``: move the demo's clock forward, firing what falls due on the way."""
        t = self._lang()
        try:
            step = parse_duration(text)
        except ValueError:
            self.print(t._("Say how much later, e.g. /later 2h or /later 30m."))
            return
        self.offset += step
        self.print(t._("It is now {when}.", when=t.datetime(self.now(), "Europe/Amsterdam")))
        self.tick()

    def _switch(self, handle: str) -> None:
        t = self._lang()
        if not handle or self._describe(handle) is None:
            self.print(t._("Nobody called {name} here. /who lists the people.", name=handle))
            return
        self.who = handle
        self._whoami()

    def _whoami(self) -> None:
        described = self._describe(self.who)
        t = self._lang()
        if described is None:
            self.print(t._("You are {name}, who is not in the directory.", name=self.who))
            return
        name, roles, _ = described
        self.print(t._("You are {name} ({roles}).", name=name, roles=roles))

    def _who(self) -> None:
        contacts, staff = self.people()
        for person in staff:
            self.print(f"  {person.handle:<8} {person.name} · {', '.join(person.roles)}")
        with Session(self.engine) as session:
            names = {c.id: c.name for c in session.exec(select(Customer))}
        for contact in contacts:
            customer = names.get(contact.customer_id, "")
            self.print(
                f"  {contact.handle:<8} {contact.name} · {', '.join(contact.roles)} · {customer}"
            )

    # -- output ---------------------------------------------------------------------------------

    def show(self, reply: Reply, here: ChatRef) -> None:
        target = reply.chat or here
        t = translator(reply.lang)
        if target != here:
            self.print(self._heading(t, target))
        indent = "   " if target != here else ""
        for line in reply.text.splitlines() or [""]:
            self.print(f"{indent}{line}")
        for label, value in reply.facts:
            self.print(f"{indent}  {label}: {value}")
        if reply.prompt is not None and reply.prompt.choices:
            for number, choice in enumerate(reply.prompt.choices, 1):
                self.print(f"{indent}  {number}. {choice.label}")
        commands = [c for c in (self._as_command(b) for b in reply.buttons) if c]
        if commands:
            self.print(f"{indent}  [{' | '.join(commands)}]")
        for attachment in reply.attachments:
            size = t.number(round(len(attachment.data) / 1024, 1))
            self.print(
                f"{indent}  "
                + t._("(attached: {name}, {size} kB)", name=attachment.name, size=size)
            )

    def _heading(self, t: Translator, chat: ChatRef) -> str:
        if chat.id == SUPPORT_CHAT:
            return t._("── in the support channel ──")
        with Session(self.engine) as session:
            bound = session.get(ChatBinding, ("console", chat.id))
        if bound is not None:
            return t._("── in chat {chat} ──", chat=chat.id)
        return t._("── to {name} ──", name=chat.id)

    @staticmethod
    def _as_command(button: Button) -> str | None:
        name = BUTTON_COMMANDS.get(button.action)
        if name is None:
            return None
        return f"/{name} {button.value}".strip()

    def print(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


class _Printer:
    """Delivers outbox messages for console chats by printing them."""

    platform = "console"

    def __init__(self, console: Console) -> None:
        self.console = console

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        here = self.console._chat()
        self.console.show(Reply(**{**reply.__dict__, "chat": chat}), here)
        return f"console-{id(reply)}"
