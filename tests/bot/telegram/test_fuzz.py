"""Fuzzed updates POSTed to the real Telegram webhook with the right secret token: messages,
commands, captions, button presses, membership changes and update types the bot does not know,
with fields missing, of other types, huge, or not matching each other (entities beyond the
text), and bodies that are not JSON. The bot runs in webhook mode on 127.0.0.1 against the fake
Bot API; one bot takes every example, then still handles a report.

What the webhook answers, and why. Telegram sends an update again until it gets a 2xx, and holds
back the updates after it meanwhile. So:

- every JSON body gets 200, handled or not: an update the bot cannot read (not an object, a
  field of another type, a shape PTB refuses) fails the same way on every retry, so it is
  acknowledged and dropped, with a warning in the log, instead of holding back the rest;
- a body that is not JSON gets 400: not an update at all, but a damaged request, which a retry
  may get through;
- a request without the right secret token gets 403 and is not read: it is not from Telegram.

Whoever wrote something the bot answers (a command, a message in a private chat) gets the
answer, in their language; every press is answered (``answerCallbackQuery``); nothing is logged
as an error and every message the bot sends is accepted by the (strict) fake Bot API.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from bot.app import BotApp
from sla.db import make_engine
from sla.i18n import translator
from sla.models import InboundEvent, OutboxMessage
from tests.bot.telegram.conftest import ANNA, T0, Clock, Telegram, load_directory, until
from tests.bot.telegram.fake_bot_api import FakeBotApi, Sent
from tests.bot.telegram.fuzz_updates import Post, press, private, updates
from tests.fuzzing import fuzz_settings, logged_errors

SECRET = "fuzz-secret_token-1"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Hook:
    """The bot in webhook mode, and a way to POST to its webhook."""

    telegram: Telegram
    url: str
    http: aiohttp.ClientSession

    async def post(self, post: Post, secret: str | None = SECRET) -> int:
        headers = {"Content-Type": post.content_type}
        if secret is not None:
            headers[HEADER] = secret
        async with self.http.post(self.url, data=post.body, headers=headers) as response:
            return response.status

    def last_outbox_id(self) -> int:
        with Session(self.telegram.engine) as session:
            return session.exec(select(func.max(OutboxMessage.id))).one() or 0

    def outbox_after(self, last: int) -> list[OutboxMessage]:
        with Session(self.telegram.engine) as session:
            return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.id) > last)))

    def nothing_due(self) -> bool:
        with Session(self.telegram.engine) as session:
            due = session.exec(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending")
                .where(col(OutboxMessage.next_attempt_at) <= self.telegram.clock())
            ).first()
        return due is None

    async def delivered(self) -> None:
        """Wait until the outbox has nothing due (sent, or waiting for a retry)."""
        await until(self.nothing_due, "the outbox to be delivered", timeout=10)


async def start_webhook(telegram: Telegram) -> str:
    """Start the bot receiving by webhook on a free port of 127.0.0.1; returns the URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    await telegram.start(
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=port,
    )
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hook(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Hook]:
    """The bot with the test directory, receiving by webhook on 127.0.0.1."""
    path = tmp_path_factory.mktemp("telegram-fuzz") / "slabot.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    load_directory(engine)
    api = FakeBotApi()
    await api.serve()
    clock = Clock(T0)
    app = BotApp(engine, clock=clock)
    app.timers.start = lambda: None  # type: ignore[method-assign]  # no timers in the fuzz
    await app.start()
    telegram = Telegram(engine, api, app, clock)
    url = await start_webhook(telegram)
    http = aiohttp.ClientSession()
    try:
        yield Hook(telegram, url, http)
    finally:
        await http.close()
        await telegram.stop()
        await app.stop()
        await api.close()
        engine.dispose()


@pytest.mark.asyncio(loop_scope="module")
@fuzz_settings("telegram")
@given(post=updates)
@example(post=private(9999, "/wetter heute"))
@example(
    post=private(1001, "/incident", entities=[{"type": "bot_command", "offset": 90, "length": 9}])
)
# Found by the fuzz: JSON that is no update was answered 400 (Telegram retries that, holding
# back the chat's later updates), and a membership change with a null chat reached the
# handler, which failed on it. The body is UTF-8 JSON whatever charset the header names.
@example(post=Post(b"null"))
@example(post=Post(b"[" * 5000))
@example(post=Post(b'{"update_id": 5, "my_chat_member": {"chat": null, "date": 0}}'))
@example(post=Post(b'{"update_id": 6}', content_type="application/json; charset=x-unknown"))
# Found by the fuzz: a press on a message whose entities split a character in two: marking the
# chosen answer failed on the text's HTML (a traceback after the press was answered).
@example(post=press(1001, "h🙂llo", [{"type": "bold", "offset": 1, "length": 1}], "x:", "Stop"))
async def test_fuzzed_updates_never_fail(hook: Hook, post: Post) -> None:
    """Any update with the right secret: 200 (400 for a body that is not JSON), nothing logged
    as an error, every message sent accepted, and whoever wrote gets their answer."""
    last = hook.last_outbox_id()
    api = hook.telegram.api
    with logged_errors() as errors:
        # The webhook answers once the update is handled; then a press is answered and marked,
        # and the outbox sends what it queued.
        assert await hook.post(post) == post.status
        assert hook.telegram.service is not None
        await hook.telegram.service.updates.settle()
        await hook.delivered()
        assert errors.take() == []
    event(f"status {post.status}, {'answered' if post.chat else 'no answer due'}")
    sent = hook.outbox_after(last)
    assert [(m.status, m.last_error) for m in sent if m.status != "sent"] == []
    if post.chat:
        said = [m.payload for m in sent if m.chat_id == post.chat]
        assert said, "no answer"
        for reply in said:
            assert reply["lang"] == post.lang and reply["text"].strip(), reply
            assert "Traceback" not in reply["text"]
        if post.unknown:
            [reply] = said
            t = translator(post.lang)
            wanted = "I do not know /{name}. /help lists what you can do here."
            assert reply["text"] == t._(wanted, name=post.unknown)
    if post.query:
        assert api.called("answerCallbackQuery", callback_query_id=post.query)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bot_still_works_after_the_fuzz(hook: Hook) -> None:
    """The bot that took the fuzz files Anna's report as on any other day: two questions
    answered by button, the description typed, the report filed with its ref."""
    telegram = hook.telegram

    async def choose(question: Sent, label: str | None = None) -> Sent:
        """Anna presses ``label`` (else the first button); the message that follows."""
        buttons = question.buttons()
        label, data = next(((lb, d) for lb, d in buttons if lb == label), buttons[0])
        pressed = press(ANNA.id, question.text, [], data, label, question.message_id)
        assert await hook.post(pressed) == 200
        return await telegram.message(ANNA.id, after=question.message_id)

    start = telegram.last_id()
    assert await hook.post(private(ANNA.id, "/cancel", "nl")) == 200
    assert await hook.post(private(ANNA.id, "/incident", "nl")) == 200
    question = await telegram.message(ANNA.id, "Waar gaat je melding over?", after=start)
    field = await choose(await choose(question))
    assert not field.buttons()
    assert await hook.post(private(ANNA.id, "Niemand kan inloggen", "nl")) == 200
    confirm = await telegram.message(ANNA.id, after=field.message_id)
    filed = await choose(confirm, translator("nl")._("File incident"))
    assert "PLEK-" in filed.text


# -- refused ------------------------------------------------------------------------------------


@pytest.fixture
async def fresh_hook(telegram: Telegram) -> AsyncIterator[Hook]:
    """A bot that has handled nothing yet, receiving by webhook on 127.0.0.1."""
    await telegram.stop()
    url = await start_webhook(telegram)
    async with aiohttp.ClientSession() as http:
        yield Hook(telegram, url, http)


header_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=300)
wrong_secrets = st.one_of(
    st.none(),
    header_text,
    st.sampled_from([SECRET[:-1], SECRET + "x", SECRET.upper(), SECRET[::-1], "", "None"]),
).filter(lambda s: s != SECRET)


@fuzz_settings("telegram_secret")
@given(post=updates, secret=wrong_secrets)
async def test_a_webhook_call_without_the_secret_is_refused_unread(
    fresh_hook: Hook, post: Post, secret: str | None
) -> None:
    """No secret token, or any other than the one set: 403, and nothing handled or sent."""
    telegram = fresh_hook.telegram
    calls = len(telegram.api.calls)
    assert await fresh_hook.post(post, secret) == 403
    assert len(telegram.api.calls) == calls  # nothing answered, nothing sent
    with Session(telegram.engine) as session:
        assert session.exec(select(InboundEvent)).first() is None
    assert fresh_hook.outbox_after(0) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_a_press_is_acknowledged_before_it_is_answered_on_screen(hook: Hook) -> None:
    """Telegram posts the bot's next update only once this one has its 200 (one connection):
    the press is handled and its answers queued before the 200, but answering the press and
    marking the chosen answer wait for no Bot API call of theirs."""
    telegram, api = hook.telegram, hook.telegram.api
    start = telegram.last_id()
    assert await hook.post(private(ANNA.id, "/cancel", "nl")) == 200
    assert await hook.post(private(ANNA.id, "/incident", "nl")) == 200
    question = await telegram.message(ANNA.id, "Waar gaat je melding over?", after=start)
    label, data = question.buttons()[0]
    pressed = press(ANNA.id, question.text, [], data, label, question.message_id)
    gate = api.hold("answerCallbackQuery")
    try:
        assert await asyncio.wait_for(hook.post(pressed), 5) == 200
        assert not api.called("answerCallbackQuery", callback_query_id=pressed.query)
        await telegram.message(ANNA.id, after=question.message_id)  # the next question
    finally:
        gate.set()
    assert telegram.service is not None
    await telegram.service.updates.settle()
    assert api.called("answerCallbackQuery", callback_query_id=pressed.query)
    [marked] = [m for m in telegram.api.messages(ANNA.id) if m.message_id == question.message_id]
    assert label in marked.text and not marked.buttons()
