"""Telegram updates turned into neutral events, and what comes back shown inline.

:class:`UpdateHandler` is the one handler of the PTB Application (:mod:`bot.telegram._service`
builds it). A message, a button press or a change of the bot's own membership becomes an event
handled once per ``update_id`` by the inbox; a press is always answered
(``answerCallbackQuery``), with an alert when the handlers refuse it, and a chosen answer is
marked on its question, both once the update itself is acknowledged. The database work
(queueing, reachability, the greeting of a new group, looking up a digested button's value)
runs in a thread.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from typing import Any

from telegram import CallbackQuery, ChatMember, ChatMemberUpdated, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from bot.app import BotApp
from bot.offload import database_work
from bot.outbox import enqueue, recent_payloads
from bot.telegram._events import PLATFORM, chat_ref, message_event, press_event
from bot.telegram._render import (
    MAX_TEXT,
    Pressed,
    alert_text,
    find_value,
    parse_callback_data,
    utf16_len,
)
from bot.unreachable import mark_reachable, record_unreachable
from handlers.types import Action, ChatRef, Reply
from sla.db import reading, session_scope
from sla.directory import binding
from sla.i18n import translator

log = logging.getLogger(__name__)
# PTB's Application without custom types: what the service builds, this handler and the webhook
# hand updates to.
TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
# Presses that answer a question: the question then shows the answer and loses its buttons.
CHOICES = (Action.ANSWER, Action.CONFIRM, Action.CANCEL, Action.SET_PRIORITY)
# How many recent messages of a chat are searched for a button's digested value.
LOOKBACK = 500


def _nothing(reply: Reply) -> bool:
    return False


def _popup(reply: Reply) -> bool:
    return reply.alert and alert_text(reply) is not None


class UpdateHandler:
    """Turns updates into events for :class:`BotApp` and shows what comes back inline."""

    def __init__(self, app: BotApp, application: TelegramApplication) -> None:
        self.app = app
        self.application = application
        self._touches: set[asyncio.Task[None]] = set()  # see _after

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the presses acknowledged so far have been answered and marked."""
        if self._touches:
            await asyncio.wait(set(self._touches), timeout=timeout)

    def _key(self, update: Update) -> str:
        # update_id counts per bot: with the bot's id the key stays unique if the token changes.
        return f"{self.application.bot.id}:{update.update_id}"

    async def on_update(self, update: Update, context: Any) -> None:
        if update.callback_query is not None:
            await self._press(update, update.callback_query)
        elif update.my_chat_member is not None:
            await self._membership(update.my_chat_member)
        elif update.message is not None:
            await self._message(update, update.message)

    async def on_error(self, update: object, context: Any) -> None:
        log.error("handling a Telegram update failed", exc_info=getattr(context, "error", None))

    async def _message(self, update: Update, message: Message) -> None:
        event = message_event(message, self.application.bot.username)
        if event is None:
            return
        # Every answer is a message, queued with the change: if the process dies before
        # Telegram hears 200, the redelivery is a duplicate and nothing has been lost.
        back = [event.chat.id] if event.chat.private else []
        inline = await self.app.handle(
            event, dedupe=self._key(update), inline=_nothing, reachable=back
        )
        await self._show(inline, event.chat)  # only "something went wrong" (nothing changed)

    async def _press(self, update: Update, query: CallbackQuery) -> None:
        pressed = parse_callback_data(query.data)
        if pressed is not None and pressed.hashed:
            pressed = await database_work(self.app.engine, self._look_up, query, pressed)
        event = press_event(query, pressed) if pressed is not None else None
        if event is None or pressed is None:
            t = translator(query.from_user.language_code)
            self._after(update, self._answer(query, t._("This button has expired."), alert=True))
            return
        # Only what a pop-up can show comes back; the rest is queued with the change.
        inline = await self.app.handle(event, dedupe=self._key(update), inline=_popup)
        alert = next((r for r in inline if r.alert and alert_text(r) is not None), None)
        await self._show([r for r in inline if r is not alert], event.chat)
        mark = alert is None and pressed.action in CHOICES
        self._after(update, self._touch(query, alert_text(alert) if alert else None, mark=mark))

    def _after(self, update: Update, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` once Telegram has its answer to the update.

        Only touches on the screen go here (the press answered, the chosen answer marked), never
        what the record needs. Telegram posts the bot's next update only when this one is
        answered (one connection, so that a person's updates stay in order): two Bot API round
        trips less in that wait. PTB's Application awaits these tasks when it stops.
        """
        task = self.application.create_task(work, update=update)
        self._touches.add(task)
        task.add_done_callback(self._touches.discard)

    async def _touch(self, query: CallbackQuery, alert: str | None, *, mark: bool) -> None:
        await self._answer(query, alert, alert=alert is not None)
        if mark:
            await self._mark_choice(query)

    async def _membership(self, change: ChatMemberUpdated) -> None:
        """The bot's own membership: blocked or unblocked privately, added to a group."""
        chat = chat_ref(change.chat)
        status = change.new_chat_member.status
        if chat.private:
            if status == ChatMember.BANNED:
                await database_work(self.app.engine, self._record_blocked, chat)
            elif status == ChatMember.MEMBER:
                await database_work(self.app.engine, self._reachable, chat.id)
            return
        joined = status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
        was_out = change.old_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED)
        locale = change.from_user.language_code
        if joined and was_out and await database_work(self.app.engine, self._greet, chat, locale):
            self.app.delivery.poke()

    async def _answer(self, query: CallbackQuery, text: str | None, *, alert: bool) -> None:
        try:
            await query.answer(text=text, show_alert=alert if text else None)
        except TelegramError as error:  # too old (a redelivery), or Telegram is away
            log.info("answering a callback query failed: %s", error)

    async def _show(self, replies: Sequence[Reply], chat: ChatRef) -> None:
        """Replies for the person who acted, as messages in their chat (via the outbox)."""
        if not replies:
            return
        await database_work(
            self.app.engine, self._enqueue, [replace(r, chat=chat) for r in replies]
        )
        self.app.delivery.poke()

    async def _mark_choice(self, query: CallbackQuery) -> None:
        """The question shows the chosen answer and loses its buttons (cannot be pressed twice)."""
        message = query.message
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        label = next(
            (
                button.text
                for row in message.reply_markup.inline_keyboard
                for button in row
                if button.callback_data == query.data
            ),
            None,
        )
        if label is None or message.text is None:
            return
        if utf16_len(message.text) + utf16_len(label) + 3 > MAX_TEXT:
            return
        try:
            shown = message.text_html
        except ValueError:  # entities that split a character: the text without them
            shown = html.escape(message.text, quote=False)
        try:
            await message.edit_text(
                f"{shown}\n\n» <b>{html.escape(label, quote=False)}</b>",
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        except TelegramError as error:
            log.info("marking the chosen answer failed: %s", error)

    # -- database work, run in a thread -------------------------------------------------------

    def _enqueue(self, replies: list[Reply]) -> None:
        with session_scope(self.app.engine) as session:
            enqueue(session, replies, self.app.clock())

    def _reachable(self, chat_id: str) -> None:
        with session_scope(self.app.engine) as session:
            mark_reachable(session, PLATFORM, chat_id)

    def _record_blocked(self, chat: ChatRef) -> None:
        with session_scope(self.app.engine) as session:
            record_unreachable(session, chat, "blocked the bot", self.app.clock())

    def _greet(self, chat: ChatRef, locale: str | None) -> bool:
        """Added to a group the directory does not know: say its id, which binding needs."""
        with session_scope(self.app.engine) as session:
            if binding(session, chat.platform, chat.id) is not None:
                return False
            t = translator(locale)
            text = t._(
                "Hello! The id of this chat is {chat_id}. I work here once an administrator "
                "adds it to the directory file: under a customer's chats, or under "
                "support_chats.",
                chat_id=chat.id,
            )
            enqueue(session, [Reply(text, chat=chat, lang=t.lang)], self.app.clock())
        return True

    def _look_up(self, query: CallbackQuery, pressed: Pressed) -> Pressed | None:
        """The value behind a digested button, from the recent messages to that chat."""
        if query.message is None:
            return None
        chat_id = str(query.message.chat.id)
        with reading(self.app.engine) as connection:
            rows = recent_payloads(connection, PLATFORM, chat_id, LOOKBACK)
        value = find_value(rows, pressed.action, pressed.value)
        return None if value is None else Pressed(pressed.action, value)
