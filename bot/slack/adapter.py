"""Slack payloads in, neutral events to the handlers, modals and ephemeral messages out.

Entry points and where they lead::

    /incident (slash command) ─┐
    "Report as incident"       ├─▶ Command("incident", text) ─▶ modal: question ─▶ … ─▶ filed
      (message shortcut)       ┘        │ not registered: ephemeral refusal in their locale
    /slabot name args ─────────▶ Command(name, args): /status, /escalate, /help, /cancel and
      (Slack keeps /status)          staff's /ack … ; the answer only for the actor, or a modal
    @slabot text (app mention) ──▶ the first question as an ephemeral message; its first
                                   press opens the modal (an event carries no trigger_id)
    card button ───────────────▶ ButtonPress ─▶ done (card edited by the outbox), or a modal
                                   asking the words the action needs (resolve: the note)
    direct message to the app ─▶ Text (the console-like conversation, buttons included)

Every listener calls ``ack()`` first (a view submission acknowledges with the next view, or
with a "one moment" view when the handlers take longer than :data:`ACK_BUDGET`). Handling runs
in one transaction: the replies for other chats (the card, the reporter's note) go to the
outbox with it, and a Slack event that arrives twice (``event_id``) is handled once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import BotApp
from bot.outbox import enqueue
from bot.slack.modals import ViewMeta, asks, modal, working
from bot.slack.mrkdwn import readable, strip_mention
from bot.slack.render import (
    ACTION_PREFIX,
    ANSWER_BLOCK,
    ANSWER_ELEMENT,
    CONFIRM_STEP,
    FORM_ACTION,
    INCIDENT_COMMAND,
    SLABOT_COMMAND,
    VIEW_CALLBACK,
    parse_action_id,
    prompt_from_value,
)
from bot.slack.transport import PLATFORM, SlackTransport, ephemeral_chat
from bot.slack.users import Users
from bot.unreachable import mark_reachable
from handlers.types import (
    Action,
    ButtonPress,
    ChatRef,
    Command,
    Inbound,
    MessageRef,
    Reply,
    Text,
)
from sla.db import session_scope
from sla.i18n import translator

log = logging.getLogger(__name__)
COMMAND = INCIDENT_COMMAND
SHORTCUT = "slabot_report"
ACK_BUDGET = 2.0  # seconds of handling before a view submission is acknowledged with a wait view
DEFAULT_API_URL = "https://slack.com/api/"
# Where the answer to an event is shown:
#   modal      the replies fill the modal the event came from (or is opening);
#   open       a question opens a modal, anything else is shown only to the actor;
#   ephemeral  everything is shown only to the actor, as messages;
#   dm         the replies are messages in the direct-message chat the event came from.
Surface = Literal["modal", "open", "ephemeral", "dm"]
INTAKE_ACTIONS = (Action.ANSWER, Action.CONFIRM, Action.CANCEL)
_REF = re.compile(r"[A-Z][A-Z0-9]*-\d+")  # an incident's ref, PLEK-42


def base_url_of(url: str | None) -> str:
    """The Web API base URL with its trailing slash (``…/api/``); Slack's own by default."""
    base = url or DEFAULT_API_URL
    return base if base.endswith("/") else base + "/"


def chat_ref(channel: str) -> ChatRef:
    """A Slack conversation; ``D…`` is a direct message with the app."""
    return ChatRef(PLATFORM, channel, private=channel.startswith("D"))


class SlackAdapter:
    """The bolt app, its listeners, and the transport the outbox sends Slack messages with."""

    def __init__(
        self,
        app: BotApp,
        *,
        bot_token: str,
        signing_secret: str | None = None,
        api_url: str | None = None,
        answer_after_handling: bool = False,
    ) -> None:
        self.app = app
        base_url = base_url_of(api_url)
        # Interactive calls (views, users.info) wait out a 429 themselves: there is a person
        # in front of the screen and no outbox row to retry later.
        self.client = AsyncWebClient(
            token=bot_token,
            base_url=base_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )
        delivery = AsyncWebClient(
            token=bot_token, base_url=base_url, retry_handlers=[AsyncConnectionErrorRetryHandler()]
        )
        self.transport = SlackTransport(
            delivery, app.engine, app.clock, on_queued=app.delivery.poke
        )
        self.users = Users(self.client)
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "",
            name="slabot",
            process_before_response=answer_after_handling,
        )
        self._busy_count = 0
        self.completed = 0  # events handled (duplicates included), for tests and metrics
        self._idle = asyncio.Event()
        self._idle.set()
        self.register()
        app.add_transport(self.transport)

    # -- wiring ----------------------------------------------------------------------------------

    def register(self) -> None:
        """Attach the listeners to the bolt app (one place that says what Slack can send)."""
        bolt = self.bolt
        bolt.command(COMMAND)(self.on_command)
        bolt.command(SLABOT_COMMAND)(self.on_slabot)
        bolt.shortcut(SHORTCUT)(self.on_shortcut)
        bolt.event("app_mention")(self.on_mention)
        bolt.event("message")(self.on_message)
        bolt.action(FORM_ACTION)(self.on_form_button)
        bolt.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}"))(self.on_action)
        bolt.view_submission(VIEW_CALLBACK)(self.on_submit)
        bolt.view_closed(VIEW_CALLBACK)(self.on_closed)

    @contextlib.asynccontextmanager
    async def _busy(self) -> AsyncIterator[None]:
        self._busy_count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy_count -= 1
            if self._busy_count == 0:
                self._idle.set()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until no listener is working any more (listeners run on after ``ack()``)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- listeners -------------------------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """``/incident [text]``: the questionnaire in a modal, or an ephemeral refusal."""
        async with self._busy():
            await ack()
            user = await self.users.ref(body["user_id"], body.get("user_name", ""))
            channel = body["channel_id"]
            text = readable(body.get("text") or "")
            event = Command("incident", text, user, chat_ref(channel))
            await self._start(event, body["trigger_id"], channel)

    async def on_slabot(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """``/slabot status``, ``/slabot escalate PLEK-42 why``, ``/slabot ack PLEK-42`` …: the
        router's commands; the answer only the person sees, or a modal when it asks back."""
        async with self._busy():
            await ack()
            user = await self.users.ref(body["user_id"], body.get("user_name", ""))
            channel = body["channel_id"]
            name, args = split_command(readable(body.get("text") or ""))
            event = Command(name, args, user, chat_ref(channel))
            await self._start(event, body["trigger_id"], channel)

    async def on_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The message shortcut "Report as incident": the modal, the message as description."""
        async with self._busy():
            await ack()
            user = await self.users.ref(body["user"]["id"], body["user"].get("name", ""))
            channel = (body.get("channel") or {}).get("id", "")
            text = readable((body.get("message") or {}).get("text") or "")
            if not channel:  # a global shortcut has no channel: the conversation is the DM
                channel = user.id
            event = Command("incident", text, user, chat_ref(channel))
            await self._start(event, body["trigger_id"], channel)

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        """``@slabot what is wrong``: the first question, shown only to the person who asked."""
        async with self._busy():
            user = await self.users.ref(event["user"])
            text = readable(strip_mention(event.get("text") or "", context.get("bot_user_id")))
            channel = event["channel"]
            command = Command("incident", text, user, chat_ref(channel))
            await self._run(command, dedupe=_event_key(body), surface="ephemeral", channel=channel)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A message in the app's direct-message chat: the handlers' plain conversation."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        async with self._busy():
            user = await self.users.ref(event["user"])
            channel = event["channel"]
            text = Text(readable(event.get("text") or ""), user, chat_ref(channel))
            await self._run(text, dedupe=_event_key(body), surface="dm", channel=channel)

    async def on_action(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """A button or a choice, on a message (a card, a question) or in one of our modals."""
        async with self._busy():
            await ack()
            neutral = parse_action_id(action.get("action_id", ""))
            if neutral is None:  # an old version's button, or not ours
                await self._expired(body)
                return
            value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
            user = await self.users.ref(body["user"]["id"])
            dedupe = _trigger_key(body)
            view = body.get("view")
            if view is not None and (body.get("container") or {}).get("type") == "view":
                await self._in_modal(ButtonPress(neutral, value, user, _NO_CHAT), view, dedupe)
                return
            container = body.get("container") or {}
            channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
            chat = chat_ref(channel)
            ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
            press = ButtonPress(neutral, value, user, chat, MessageRef(chat, f"{channel}:{ts}"))
            origin = await self._run(press, dedupe=dedupe, surface="open", channel=channel)
            if container.get("is_ephemeral") and neutral in INTAKE_ACTIONS:
                # The question was answered: its buttons should not be pressed twice.
                with contextlib.suppress(Exception):
                    await respond(delete_original=True)
            if origin:
                title = _title(press, origin)
                await self._open(body["trigger_id"], origin, channel, user.id, title)

    async def on_form_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        """The "Answer" button under a free-text question sent as a message: a modal asks it."""
        async with self._busy():
            await ack()
            found = prompt_from_value(action.get("value") or "")
            if found is None:
                await self._expired(body)
                return
            prompt, lang = found
            channel = _channel_of(body)
            reply = Reply(prompt.text, prompt=prompt, lang=lang)
            t = translator(lang)
            title = t._("Report incident") if _is_intake_step(prompt.step) else "slabot"
            await self._open(body["trigger_id"], [reply], channel, body["user"]["id"], title)

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The modal's submit button: a typed answer, or "File incident" on the confirmation."""
        async with self._busy():
            view = body["view"]
            meta = ViewMeta.load(view.get("private_metadata"))
            answer = (
                ((view.get("state") or {}).get("values") or {})
                .get(ANSWER_BLOCK, {})
                .get(ANSWER_ELEMENT, {})
                .get("value")
            )

            async def handle() -> list[Reply] | None:
                try:
                    user = await self.users.ref(body["user"]["id"])
                    chat = chat_ref(meta.channel)
                    event: Inbound
                    if meta.step == CONFIRM_STEP:
                        event = ButtonPress(Action.CONFIRM, "ok", user, chat)
                    else:
                        event = Text(answer or "", user, chat)
                    return await self._run(
                        event, dedupe=_trigger_key(body), surface="modal", channel=meta.channel
                    )
                except Exception:  # the modal must get an answer whatever happened
                    log.exception("a Slack modal submission failed")
                    return [sorry(meta.lang)]

            task = asyncio.ensure_future(handle())
            done, _ = await asyncio.wait({task}, timeout=ACK_BUDGET)
            if task in done:
                origin = task.result()
                if origin:
                    await ack(response_action="update", view=self._view(origin, meta))
                else:
                    await ack()  # done: the modal closes
                return
            await ack(response_action="update", view=working(meta.title, meta.lang, meta.channel))
            origin = await task
            if not origin:
                origin = [Reply(translator(meta.lang)._("Done."), lang=meta.lang)]
            await self._update(view["id"], None, self._view(origin, meta))

    async def on_closed(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The modal was closed before the end: the half-answered draft is dropped."""
        async with self._busy():
            await ack()
            meta = ViewMeta.load(body["view"].get("private_metadata"))
            user = await self.users.ref(body["user"]["id"])
            event = Command("cancel", "", user, chat_ref(meta.channel))
            await self._run(event, dedupe=None, surface="modal", channel=meta.channel)

    # -- the pieces ------------------------------------------------------------------------------

    async def _expired(self, body: dict[str, Any]) -> None:
        """A button the bot cannot read: say so, only to the person who pressed it."""
        user = await self.users.ref(body["user"]["id"])
        t = translator(user.locale)
        channel = _channel_of(body)
        chat = ephemeral_chat(channel, user.id) if channel else user.id
        reply = Reply(t._("This button has expired."), lang=t.lang, ephemeral=True)
        await asyncio.to_thread(self._queue, [reply], ChatRef(PLATFORM, chat, private=True))
        self.app.delivery.poke()

    async def _start(self, event: Command, trigger_id: str, channel: str) -> None:
        origin = await self._run(
            event, dedupe=f"trigger:{trigger_id}", surface="open", channel=channel
        )
        if origin:
            await self._open(trigger_id, origin, channel, event.user.id, _title(event, origin))

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
            await asyncio.to_thread(self._queue, origin, mine)

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

    def _reachable(self, chat_ids: Sequence[str]) -> None:
        """Forget that these chats could not be reached (they just showed they can)."""
        try:
            with session_scope(self.app.engine) as session:
                for chat_id in chat_ids:
                    if mark_reachable(session, PLATFORM, chat_id):
                        log.info("Slack chat %s is reachable again", chat_id)
        except Exception:  # bookkeeping: it must not keep the event from being handled
            log.exception("clearing the unreachable record of %s failed", chat_ids)

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
        await asyncio.to_thread(self._reachable, back)

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
            )
        finally:
            self.completed += 1
        self.app.delivery.poke()
        self.app.timers.poke()
        return origin


_NO_CHAT = ChatRef(PLATFORM, "")


def sorry(locale: str | None) -> Reply:
    """What the person sees when handling failed (and nothing was changed)."""
    t = translator(locale)
    return Reply(
        t._("Sorry, something went wrong and nothing was changed. Please try again."),
        lang=t.lang,
        ephemeral=True,
        alert=True,
    )


def split_command(text: str) -> tuple[str, str]:
    """``/slabot``'s text as a command name and its arguments; nothing at all is ``help``.

    ``escalate PLEK-42 too slow`` → ``("escalate", "PLEK-42 too slow")``; a slash typed out of
    habit (``/slabot /status``) is forgiven.
    """
    name, _, args = text.strip().partition(" ")
    name = name.lstrip("/").lower()
    return (name or "help"), args.strip()


def _channel_of(body: dict[str, Any]) -> str:
    """The channel of the message a button was pressed on ("" in a modal)."""
    container = body.get("container") or {}
    return str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")


def _event_key(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return f"event:{event_id}" if event_id else None


def _trigger_key(body: dict[str, Any]) -> str | None:
    trigger = body.get("trigger_id")
    return f"trigger:{trigger}" if trigger else None


def _is_intake_step(step: str) -> bool:
    return step.startswith("field:") or step in (CONFIRM_STEP, "forward")


def _title(event: Command | ButtonPress, origin: Sequence[Reply]) -> str:
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


__all__ = [
    "COMMAND",
    "SHORTCUT",
    "SLABOT_COMMAND",
    "SlackAdapter",
    "base_url_of",
    "chat_ref",
    "split_command",
]
