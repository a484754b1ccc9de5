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

This module reads what Slack sends: the listeners and their wiring. Handling an event and
showing its answer (modals, ephemeral messages, the DM) is in :mod:`bot.slack.handling`, whose
``SlackHandling`` :class:`SlackAdapter` extends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import BotApp
from bot.slack.handling import (
    INTAKE_ACTIONS,
    SlackHandling,
    channel_of,
    chat_ref,
    modal_title,
)
from bot.slack.modals import ViewMeta, working
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
from bot.slack.transport import PLATFORM, SlackTransport
from bot.slack.users import Users
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
from sla.i18n import translator

log = logging.getLogger(__name__)
COMMAND = INCIDENT_COMMAND
SHORTCUT = "slabot_report"
ACK_BUDGET = 2.0  # seconds of handling before a view submission is acknowledged with a wait view
DEFAULT_API_URL = "https://slack.com/api/"


class _SameToken(logging.Filter):
    """Bolt reads ``SLACK_BOT_TOKEN`` itself and warns at every start that the client we give it
    wins; the client carries that same token, so the warning only worries operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameToken())


def base_url_of(url: str | None) -> str:
    """The Web API base URL with its trailing slash (``…/api/``); Slack's own by default."""
    base = url or DEFAULT_API_URL
    return base if base.endswith("/") else base + "/"


class SlackAdapter(SlackHandling):
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
        # The HTTP endpoint checks Slack's signature before bolt sees the body (SlackService,
        # which also refuses what bolt could not read); Socket Mode has none to check.
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "",
            name="slabot",
            process_before_response=answer_after_handling,
            request_verification_enabled=False,
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
        # Bolt tries the listeners in this order, each that does not match costing about as
        # much as a small statement: the steps of a report (answers in the modal) come first.
        bolt = self.bolt
        bolt.view_submission(VIEW_CALLBACK)(self.on_submit)
        bolt.action(FORM_ACTION)(self.on_form_button)
        bolt.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}"))(self.on_action)
        bolt.command(COMMAND)(self.on_command)
        bolt.view_closed(VIEW_CALLBACK)(self.on_closed)
        bolt.command(SLABOT_COMMAND)(self.on_slabot)
        bolt.shortcut(SHORTCUT)(self.on_shortcut)
        bolt.event("app_mention")(self.on_mention)
        bolt.event("message")(self.on_message)

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

    async def connect(self) -> None:
        """Give each Web API client a pool of kept-alive connections (call in the loop).

        Without one, slack_sdk opens a connection for every call: a TCP and TLS handshake with
        Slack before each modal and each message. A call after :meth:`disconnect` works as
        before, on a connection of its own.
        """
        for client in (self.client, self.transport.client):
            if client.session is None or client.session.closed:
                timeout = aiohttp.ClientTimeout(total=client.timeout)
                client.session = aiohttp.ClientSession(timeout=timeout)

    async def disconnect(self) -> None:
        for client in (self.client, self.transport.client):
            if client.session is not None:
                await client.session.close()

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
                title = modal_title(press, origin)
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
            channel = channel_of(body)
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


def _event_key(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return f"event:{event_id}" if event_id else None


def _trigger_key(body: dict[str, Any]) -> str | None:
    trigger = body.get("trigger_id")
    return f"trigger:{trigger}" if trigger else None


def _is_intake_step(step: str) -> bool:
    return step.startswith("field:") or step in (CONFIRM_STEP, "forward")


__all__ = [
    "COMMAND",
    "SHORTCUT",
    "SLABOT_COMMAND",
    "SlackAdapter",
    "base_url_of",
    "chat_ref",
    "split_command",
]
