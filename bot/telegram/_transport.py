"""The outbox's Telegram transport: send, or edit in place, one message.

Errors become what the outbox understands: flood control (``RetryAfter``) says when to try
again; a person who blocked the bot (403 Forbidden) or a chat that does not exist is recorded as
unreachable, the support group is told instead, and the message is parked (trying again cannot
help); network trouble is retried with back-off. An edit that changes nothing ("message is not
modified") is a success; a card whose message is gone is sent anew.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from telegram import Bot, InputFile, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.outbox import DeliveryError
from bot.telegram._render import MAX_CAPTION, body, buttons_of, keyboard, markup, plain_text
from bot.telegram._unreachable import WORDING
from bot.unreachable import report_unreachable
from handlers.types import Attachment, ChatRef, Reply

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PHOTO_TYPES = ("image/jpeg", "image/png")
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Descriptions of a 400 that mean the chat is not there for the bot.
GONE = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "have no rights to send",
    "not enough rights to send",
)
# Descriptions of a failed edit after which a new message is the way to show the change.
EDIT_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def retry_seconds(error: RetryAfter) -> float:
    """``error.retry_after`` as seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramTransport:
    """Sends outbox messages with one PTB :class:`~telegram.Bot` (initialised by its owner)."""

    platform = "telegram"

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        clock: Callable[[], datetime] | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.bot = bot
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_queued = on_queued

    async def send(self, reply: Reply, chat: ChatRef, edit_id: str | None, *, tag: str = "") -> str:
        try:
            return await self._send(reply, chat.id, chat.private, edit_id)
        except ChatMigrated as error:
            # A group became a supergroup: write there, and ask for the directory to follow.
            log.warning(
                "Telegram chat %s moved to %s: update the directory's chat_id",
                chat.id,
                error.new_chat_id,
            )
            try:
                return await self._send(reply, str(error.new_chat_id), chat.private, None)
            except TelegramError as again:
                raise self._failure(again, reply, chat) from again
        except TelegramError as error:
            raise self._failure(error, reply, chat) from error

    async def _send(self, reply: Reply, chat_id: str, private: bool, edit_id: str | None) -> str:
        if edit_id is not None:
            edited = await self._edit(reply, chat_id, edit_id)
            if edited is not None:
                return edited
        message_id: str | None = None
        if reply.text.strip() or not reply.attachments:
            html, _ = body(reply)
            sent = await self.bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(reply, private=private),
                link_preview_options=NO_PREVIEW,
            )
            message_id = str(sent.message_id)
        for attachment in reply.attachments:
            sent = await self._attach(chat_id, attachment)
            message_id = message_id or str(sent.message_id)
        assert message_id is not None
        return message_id

    async def _edit(self, reply: Reply, chat_id: str, edit_id: str) -> str | None:
        """Edit the message in place; None when it cannot be edited and must be sent anew."""
        html, _ = body(reply)
        try:
            await self.bot.edit_message_text(
                html,
                chat_id=chat_id,
                message_id=int(edit_id),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(buttons_of(reply)),  # none: the buttons go
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            text = error.message.lower()
            if "message is not modified" in text:
                return edit_id
            if any(gone in text for gone in EDIT_GONE):
                log.info("message %s in %s cannot be edited; sending anew", edit_id, chat_id)
                return None
            raise
        return edit_id

    async def _attach(self, chat_id: str, attachment: Attachment) -> Message:
        file = InputFile(attachment.data, filename=attachment.name)
        caption = attachment.name[:MAX_CAPTION]
        if attachment.mime in PHOTO_TYPES and len(attachment.data) <= MAX_PHOTO_BYTES:
            return await self.bot.send_photo(chat_id, file, caption=caption)
        return await self.bot.send_document(chat_id, file, caption=caption)

    def _failure(self, error: TelegramError, reply: Reply, chat: ChatRef) -> DeliveryError:
        if isinstance(error, RetryAfter):
            return DeliveryError(str(error), retry_after=retry_seconds(error))
        gone = isinstance(error, Forbidden) or (
            isinstance(error, BadRequest) and any(g in error.message.lower() for g in GONE)
        )
        if gone:
            self._unreachable(chat, reply, error.message)
            return DeliveryError(error.message, permanent=True)
        if isinstance(error, BadRequest):
            # Our request was wrong (a bug): the same request fails again. Park it, visibly.
            log.error("Telegram refused a message to %s: %s", chat.id, error.message)
            return DeliveryError(error.message, permanent=True)
        return DeliveryError(str(error))

    def _unreachable(self, chat: ChatRef, reply: Reply, reason: str) -> None:
        log.warning("Telegram chat %s is unreachable: %s", chat.id, reason)
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
