"""Delivering outbox messages to Slack: post, edit in place, ephemeral, files.

Chat ids in the outbox are Slack's own: a channel (``C…``, ``G…``, ``D…``), a user (``U…``: a
direct message from the app, ``chat.postMessage(channel=user_id)``), or ``CHANNEL/USER`` for a
message only that user sees in that channel (``chat.postEphemeral``). The message id handed back
is ``CHANNEL:TS`` because ``chat.update`` needs both.

Each new message carries its outbox row's id as message metadata (``slabot_outbox``). After an
attempt that ended without an answer (a time-out, or a process killed while sending), the
outbox asks :meth:`SlackTransport.find_sent`, which reads the conversation's history back to
the row's creation: a message that did arrive is marked sent, not posted twice. Messages only
one person sees and file shares carry no metadata and cannot be looked for.

Errors become :class:`~bot.outbox.DeliveryError`: HTTP 429 carries Slack's ``Retry-After`` so the
outbox waits exactly that long (and other chats go on meanwhile); errors that no retry can fix
(the bot was removed from the channel, the user is deactivated) park the message at once, record
the chat as unreachable and tell the support chats of its customer (:mod:`bot.unreachable`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from bot.outbox import DeliveryError, NotKnown
from bot.slack.mrkdwn import escape
from bot.slack.render import MESSAGE_TEXT, cut, for_slack, message, plain_text
from bot.unreachable import Wording, report_unreachable
from handlers.types import ChatRef, Reply
from sla.i18n import Translator

log = logging.getLogger(__name__)
PLATFORM = "slack"
EPHEMERAL_SEPARATOR = "/"
OUTBOX_EVENT = "slabot_outbox"  # the metadata event type that carries the outbox row's id
HISTORY_PAGE = 200
HISTORY_PAGES = 10  # beyond 2,000 messages since the row was written, the outbox cannot say
CLOCK_MARGIN = timedelta(minutes=5)  # Slack's clock and ours may differ
# The chat is gone for us: retrying cannot help; the chat is recorded as unreachable.
UNREACHABLE = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "user_not_in_channel",
}
# The message itself is wrong or the app is not allowed: retrying cannot help either.
PERMANENT = UNREACHABLE | {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "missing_scope",
    "restricted_action",
}
EDIT_GONE = {"message_not_found", "cant_update_message", "edit_window_closed"}
# The errors that say a channel is gone (the others in UNREACHABLE are about a person).
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}


def _person(t: Translator, name: str) -> str:
    return t._(
        "{name} cannot be reached on Slack: their account was deactivated or the app may not "
        "write to them. This message did not reach them:",
        name=name,
    )


def _channel(t: Translator, customer: str) -> str:
    return t._(
        "The app cannot write to the Slack channel of {customer} any more (it was removed from "
        "the channel, or the channel was archived). This message did not arrive:",
        customer=customer,
    )


WORDING = Wording(person=_person, group=_channel)


def ephemeral_chat(channel: str, user: str) -> str:
    """The outbox chat id of a message only ``user`` sees in ``channel``."""
    return f"{channel}{EPHEMERAL_SEPARATOR}{user}"


def unreachable_chat(chat_id: str, code: str) -> ChatRef:
    """The chat Slack's ``code`` says cannot be reached. For a message only one person in a
    channel sees (``C…/U…``) that is the channel when it is gone, else the person."""
    channel, separator, user = chat_id.partition(EPHEMERAL_SEPARATOR)
    if separator and code not in CHANNEL_GONE:
        return ChatRef(PLATFORM, user, private=True)
    return ChatRef(PLATFORM, channel, private=not channel.startswith(("C", "G")))


def retry_after(error: SlackApiError) -> float:
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0


def _tag_of(posted: dict[str, Any]) -> str | None:
    metadata = posted.get("metadata") or {}
    if metadata.get("event_type") != OUTBOX_EVENT:
        return None
    return str((metadata.get("event_payload") or {}).get("id"))


def unreachable(error: Exception) -> DeliveryError:
    """Slack could not be reached or did not answer. Unless the connection was never made,
    Slack may have acted on the call all the same."""
    never_sent = isinstance(error, aiohttp.ClientConnectorError)
    return DeliveryError(f"Slack not reachable: {error!r}", maybe_sent=not never_sent)


class SlackTransport:
    """Sends neutral replies as Block Kit messages (the outbox's Transport for Slack)."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        engine: Engine | None = None,
        clock: Callable[[], datetime] | None = None,
        *,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        # This client has no rate-limit retry handler on purpose: a 429 goes back to the
        # outbox, which retries after Retry-After while other chats' messages go out.
        self.client = client
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_queued = on_queued  # notices about an unreachable chat were queued

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        text, blocks = message(reply)
        metadata = {"event_type": OUTBOX_EVENT, "event_payload": {"id": tag}} if tag else None
        try:
            if reply.attachments:
                # Files cannot be shown to one person in a channel: theirs go to the DM.
                return await self._with_files(chat.id.rpartition(EPHEMERAL_SEPARATOR)[2], reply)
            if EPHEMERAL_SEPARATOR in chat.id:
                return await self._ephemeral(chat.id, text, blocks)
            if edit_id is not None:
                edited = await self._edit(edit_id, text, blocks)
                if edited is not None:
                    return edited
            response = await self.client.chat_postMessage(
                channel=chat.id,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
            return f"{response['channel']}:{response['ts']}"
        except SlackApiError as error:
            raise await self._delivery_error(chat, reply, error) from error
        except (aiohttp.ClientError, TimeoutError, SlackRequestError) as error:
            raise unreachable(error) from error

    async def find_sent(self, reply: Reply, chat: ChatRef, tag: str, since: datetime) -> str | None:
        """The ``CHANNEL:TS`` of the message posted under ``tag`` since ``since``, or None.

        Reads the conversation's history with its metadata (the ``*:history`` scopes), newest
        first, at most :data:`HISTORY_PAGES` pages back.
        """
        if reply.attachments or EPHEMERAL_SEPARATOR in chat.id:
            raise NotKnown("Slack keeps no metadata on file shares and ephemeral messages")
        try:
            channel = chat.id
            if channel.startswith(("U", "W")):  # a direct message: its history is the D… one
                opened = await self.client.conversations_open(users=channel)
                channel = str(opened["channel"]["id"])
            oldest = f"{(since - CLOCK_MARGIN).timestamp():.6f}"
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = await self.client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    limit=HISTORY_PAGE,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                for posted in page.get("messages") or []:
                    if _tag_of(posted) == tag:
                        return f"{channel}:{posted['ts']}"
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or cursor is None:
                    return None
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise DeliveryError("rate limited", retry_after=retry_after(error)) from error
            if error.response.status_code >= 500:
                raise DeliveryError(f"Slack failed: {error.response.status_code}") from error
            # Most likely an app installed before the *:history scopes were asked for.
            log.warning("cannot read Slack history of %s: %s", chat.id, error.response.get("error"))
            raise NotKnown(str(error.response.get("error"))) from error
        except (aiohttp.ClientError, TimeoutError, SlackRequestError) as error:
            raise DeliveryError(f"Slack not reachable: {error!r}") from error
        raise NotKnown(f"more than {HISTORY_PAGES * HISTORY_PAGE} messages since")

    async def _edit(self, edit_id: str, text: str, blocks: list[dict[str, object]]) -> str | None:
        """Edit the message sent earlier; None if it is gone (then a new one is posted)."""
        channel, _, ts = edit_id.partition(":")
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            if error.response.get("error") in EDIT_GONE:
                log.info("message %s cannot be edited any more; posting a new one", edit_id)
                return None
            raise
        return edit_id

    async def _ephemeral(self, chat_id: str, text: str, blocks: list[dict[str, object]]) -> str:
        channel, _, user = chat_id.partition(EPHEMERAL_SEPARATOR)
        try:
            response = await self.client.chat_postEphemeral(
                channel=channel, user=user, text=text, blocks=blocks
            )
        except SlackApiError as error:
            if error.response.get("error") not in ("channel_not_found", "not_in_channel"):
                raise
            # A slash command in a channel the app is not in: say it in a direct message.
            response = await self.client.chat_postMessage(channel=user, text=text, blocks=blocks)
            return f"{response['channel']}:{response['ts']}"
        return f"{channel}:{response.get('message_ts', '')}"

    async def _with_files(self, chat_id: str, reply: Reply) -> str:
        """Files with the reply's text (and facts) as their comment, in one share.

        One ``files_upload_v2`` call posts nothing until its last step, so a failure half-way
        leaves nothing behind and the outbox's retry cannot post the message twice. Buttons are
        not drawn on such a message (Slack's file shares have no blocks).
        """
        channel = chat_id
        if chat_id.startswith(("U", "W")):  # a direct message: files need the conversation id
            opened = await self.client.conversations_open(users=chat_id)
            channel = str(opened["channel"]["id"])
        comment = escape(cut(plain_text(for_slack(reply)), MESSAGE_TEXT))
        uploads = [
            {"content": a.data, "filename": a.name, "title": a.name} for a in reply.attachments
        ]
        response = await self.client.files_upload_v2(
            channel=channel, initial_comment=comment, file_uploads=uploads
        )
        files = response.get("files") or [{}]
        return f"{channel}:file:{files[0].get('id', '')}"

    async def _delivery_error(
        self, chat: ChatRef, reply: Reply, error: SlackApiError
    ) -> DeliveryError:
        code = str(error.response.get("error", ""))
        if error.response.status_code == 429:
            return DeliveryError(f"rate limited: {code}", retry_after=retry_after(error))
        if code in UNREACHABLE:
            await asyncio.to_thread(self._unreachable, unreachable_chat(chat.id, code), reply, code)
        return DeliveryError(f"Slack refused: {code}", permanent=code in PERMANENT)

    def _unreachable(self, chat: ChatRef, reply: Reply, reason: str) -> None:
        if self.engine is None:
            return
        log.warning("Slack chat %s is unreachable: %s", chat.id, reason)
        told = report_unreachable(
            self.engine,
            chat,
            reason,
            self.clock(),
            undelivered=plain_text(reply),
            wording=WORDING,
        )
        if told and self.on_queued is not None:
            self.on_queued()
