"""Handling one Slack event, and where its answer is shown: the half of :class:`SlackAdapter`
behind the listeners (:mod:`bot.slack.adapter`).

:class:`SlackHandling` runs an event through the inbox once per dedupe key and splits what the
handlers say to the actor by :data:`Surface`: into the modal (returned to the listener), into a
message only the actor sees, or into the direct-message chat, queued with the change. It also
opens and updates modals (falling back to a message when Slack refuses), queues replies through
the outbox, and says when a button has expired.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import BotApp
from bot.offload import database_work
from bot.outbox import enqueue
from bot.slack.modals import ViewMeta, asks, modal
from bot.slack.transport import PLATFORM, ephemeral_chat
from bot.slack.users import Users
from handlers.types import Action, ButtonPress, ChatRef, Command, Inbound, Reply
from sla.db import session_scope
from sla.i18n import translator

log = logging.getLogger(__name__)
# Where the answer to an event is shown:
#   modal      the replies fill the modal the event came from (or is opening);
#   open       a question opens a modal, anything else is shown only to the actor;
#   ephemeral  everything is shown only to the actor, as messages;
#   dm         the replies are messages in the direct-message chat the event came from.
Surface = Literal["modal", "open", "ephemeral", "dm"]
INTAKE_ACTIONS = (Action.ANSWER, Action.CONFIRM, Action.CANCEL)
_REF = re.compile(r"[A-Z][A-Z0-9]*-\d+")  # an incident's ref, PLEK-42


def chat_ref(channel: str) -> ChatRef:
    """A Slack conversation; ``D…`` is a direct message with the app."""
    return ChatRef(PLATFORM, channel, private=channel.startswith("D"))


class SlackHandling:
    """Handling an event and showing its answer; :class:`SlackAdapter`'s listeners call these."""

    app: BotApp
    client: AsyncWebClient
    users: Users
    completed: int

    async def _expired(self, body: dict[str, Any]) -> None:
        """A button the bot cannot read: say so, only to the person who pressed it."""
        user = await self.users.ref(body["user"]["id"])
        t = translator(user.locale)
        channel = channel_of(body)
        chat = ephemeral_chat(channel, user.id) if channel else user.id
        reply = Reply(t._("This button has expired."), lang=t.lang, ephemeral=True)
        await database_work(
            self.app.engine, self._queue, [reply], ChatRef(PLATFORM, chat, private=True)
        )
        self.app.delivery.poke()

    async def _start(self, event: Command, trigger_id: str, channel: str) -> None:
        origin = await self._run(
            event, dedupe=f"trigger:{trigger_id}", surface="open", channel=channel
        )
        if origin:
            await self._open(trigger_id, origin, channel, event.user.id, modal_title(event, origin))

    async def _in_modal(self, press: ButtonPress, view: dict[str, Any], dedupe: str | None) -> None:
        meta = ViewMeta.load(view.get("private_metadata"))
        event = replace(press, chat=chat_ref(meta.channel))
        origin = await self._run(event, dedupe=dedupe, surface="modal", channel=meta.channel)
        if origin:
            await self._update(view["id"], view.get("hash"), self._view(origin, meta))

    def _view(self, origin: Sequence[Reply], meta: ViewMeta) -> dict[str, Any]:
        return modal(origin, channel=meta.channel, title=meta.title or "slabot")

    async def _open(
        self, trigger_id: str, origin: list[Reply], channel: str, user_id: str, title: str
    ) -> None:
        view = modal(origin, channel=channel, title=title)
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            # The trigger expired (Slack allows 3 s) or Slack refused: ask in a message
            # instead, which works the same way (buttons, or "Answer" to type).
            log.warning("views.open failed (%s); asking in a message", error.response.get("error"))
            mine = ChatRef(PLATFORM, ephemeral_chat(channel, user_id))
            await database_work(self.app.engine, self._queue, origin, mine)

    async def _update(self, view_id: str, hash_: str | None, view: dict[str, Any]) -> None:
        try:
            if hash_:
                await self.client.views_update(view_id=view_id, hash=hash_, view=view)
            else:
                await self.client.views_update(view_id=view_id, view=view)
        except SlackApiError as error:
            # hash_conflict: a newer answer updated the modal already.
            log.info("views.update of %s failed: %s", view_id, error.response.get("error"))

    def _queue(self, replies: Sequence[Reply], chat: ChatRef | None) -> None:
        """Send replies later (to ``chat``, else to their own), through the outbox, in their own
        transaction."""
        if chat is not None:
            replies = [replace(r, chat=chat) for r in replies]
        with session_scope(self.app.engine) as session:
            enqueue(session, replies, self.app.clock())

    # -- handling --------------------------------------------------------------------------------

    async def _run(
        self, event: Inbound, *, dedupe: str | None, surface: Surface, channel: str
    ) -> list[Reply]:
        """Handle one event (once per ``dedupe``); the replies the caller shows in a modal.

        The inbox queues everything addressed to a chat with the change. What the handlers say
        to the actor goes where ``surface`` says: into the modal (it comes back), into a
        message only the actor sees, or into the direct-message chat (both queued with the
        change).
        """
        user = event.user
        # Whoever acts can be written to again; a channel too, where the app just heard from it.
        back = [user.id, channel] if surface in ("ephemeral", "dm") else [user.id]

        def split(origin: list[Reply]) -> tuple[list[Reply], list[Reply]]:
            # Queued in the handling's transaction: a crash right after loses none of them.
            if surface == "dm":
                return [], [replace(r, chat=event.chat) for r in origin]
            if surface == "ephemeral" or (surface == "open" and not asks(origin)):
                mine = ChatRef(PLATFORM, ephemeral_chat(channel, user.id), private=True)
                return [], [replace(r, chat=mine) for r in origin]
            if surface == "modal":
                # The modal goes away; the reporter keeps the confirmation with the ref.
                direct = ChatRef(PLATFORM, user.id, private=True)
                return origin, [replace(r, chat=direct) for r in origin if "filed" in r.tags]
            return origin, []

        try:
            origin = await self.app.handle(
                event,
                dedupe=dedupe[:128] if dedupe is not None else None,
                keep_origin=True,
                split=split,
                reachable=back,
            )
        finally:
            self.completed += 1
        self.app.delivery.poke()
        self.app.timers.poke()
        return origin


def channel_of(body: dict[str, Any]) -> str:
    """The channel of the message a button was pressed on ("" in a modal)."""
    container = body.get("container") or {}
    return str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")


def modal_title(event: Command | ButtonPress, origin: Sequence[Reply]) -> str:
    """The modal's title: reporting, or the incident a staff action is about."""
    t = translator(origin[-1].lang if origin else None)
    if isinstance(event, Command):
        if event.name == "incident":
            return t._("Report incident")
        ref = event.args.partition(" ")[0].upper()  # /slabot resolve PLEK-42
        ref = ref if _REF.fullmatch(ref) else ""
    elif event.action in INTAKE_ACTIONS:
        return t._("Report incident")
    else:
        ref = event.value.partition(" ")[0]
    return t._("Incident {ref}", ref=ref) if ref else "slabot"
