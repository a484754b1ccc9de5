"""Fuzzed, correctly signed requests to the real Slack HTTP endpoint (events, slash commands,
interactivity, garbage): never a 5xx, nothing failing in the log, the bot working afterwards,
and a person who asked something gets an answer in their language. Forged or stale requests
are refused before anything looks at them.

The bot listens on 127.0.0.1 against the fake Web API (``conftest.running_workspace``); one bot
takes every example, so whatever one request leaves behind the next ones meet. How many
examples: ``tests/fuzzing.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from bot.slack.render import ACTION_PREFIX, FORM_ACTION
from sla.db import make_engine
from sla.i18n import translator
from sla.models import InboundEvent, OutboxMessage
from tests.bot.slack.conftest import (
    PEOPLE,
    SECRET,
    Workspace,
    check_blocks,
    check_view,
    running_workspace,
    texts,
)
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.fuzz_requests import (
    FORM,
    LANG,
    Request,
    command,
    commands,
    events,
    interactions,
    press,
    requests,
    slash,
)
from tests.fuzzing import fuzz_settings, logged_errors, settled


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Bot]:
    """One bot for the whole module: the fuzz, then the check that it still works."""
    path = tmp_path_factory.mktemp("slack-fuzz") / "slabot.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    fake = FakeSlack(users=dict(PEOPLE))
    await fake.start()
    # One connection per request: no keep-alive connection stays open between examples.
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
    try:
        async with running_workspace(engine, fake) as workspace:
            yield Bot(workspace, http)
    finally:
        await http.close()
        await fake.stop()
        engine.dispose()


@dataclass
class Bot:
    workspace: Workspace
    http: aiohttp.ClientSession

    async def send(
        self, request: Request, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """POST ``request`` correctly signed (``headers`` may change that)."""
        body = request.body.encode() if isinstance(request.body, str) else request.body
        stamp = int(time.time())
        sent = {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": sign(body, stamp)}
        if request.content_type:
            sent["Content-Type"] = request.content_type
        sent.update(headers or {})
        async with self.http.post(self.workspace.url, data=body, headers=sent) as response:
            return response.status, await response.text()

    def last_outbox_id(self) -> int:
        with Session(self.workspace.engine) as session:
            return session.exec(select(func.max(OutboxMessage.id))).one() or 0

    def outbox_after(self, last: int) -> list[OutboxMessage]:
        with Session(self.workspace.engine) as session:
            return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.id) > last)))

    def answers(self, request: Request, after: int) -> list[dict[str, Any]]:
        """What the bot queued since ``after`` in the chat ``request`` is answered in."""
        with Session(self.workspace.engine) as session:
            rows = session.exec(
                select(OutboxMessage.payload)
                .where(OutboxMessage.chat_id == request.chat)
                .where(col(OutboxMessage.id) > after)
            )
            return list(rows)


def sign(body: bytes, stamp: int | str, secret: str = SECRET) -> str:
    """Slack's signature of ``body`` sent at ``stamp``."""
    base = b"v0:" + str(stamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@pytest.mark.asyncio(loop_scope="module")
@fuzz_settings("slack")
@given(request=requests)
@example(request=slash(command("USTRANGER", "/slabot", "wetter heute")))
# Found by the fuzz: an "Answer" button whose value is not the bot's packed question (a
# traceback after the acknowledgement, and a 404), and a button of an unknown action (silence).
@example(request=press(FORM_ACTION, '{"s": 1}'))
@example(request=press(FORM_ACTION, "[" * 5000))
@example(request=press(f"{ACTION_PREFIX}zz|0", "PLEK-1"))
# Found by the fuzz: fields of another type than Slack's reached bolt (500), and JSON nested
# too deep for the parser (500).
@example(request=Request(json.dumps({"type": "event_callback", "event": None})))
@example(request=Request(urlencode({"payload": json.dumps({"type": "x", "view": None})}), FORM))
@example(request=Request("[" * 5000))
@example(request=Request(b"\xff\xfe{}"))  # not UTF-8
async def test_fuzzed_signed_requests_never_fail(bot: Bot, request: Request) -> None:
    """Any signed request gets an answer below 500 (ours 200: they acknowledge first), nothing
    is logged as an error, a person who asked gets a modal or a message in their language, and
    every message and modal the bot sends is valid Block Kit."""
    last, calls = bot.last_outbox_id(), len(bot.workspace.fake.calls)
    with logged_errors() as errors:
        before = asyncio.all_tasks()
        status, text = await bot.send(request)
        await settled(before)
        assert status < 500, text
        if request.acked:
            assert status == 200, text
        await bot.workspace.deliver()
        assert errors.take() == []
    assert [(m.status, m.last_error) for m in bot.outbox_after(last) if m.status != "sent"] == []
    for call in bot.workspace.fake.calls[calls:]:
        if "view" in call.args:
            check_view(call.args["view"])
        elif call.args.get("blocks"):
            check_blocks(call.args["blocks"])
    event(f"status {status}, {'answered' if request.user else 'no answer due'}")
    if request.user:
        opened = [
            c for c in bot.workspace.fake.to("views.open") if c["trigger_id"] == request.trigger
        ]
        said = bot.answers(request, last)
        assert opened or said, "no answer"
        t = translator(LANG[request.user])
        for reply in said:
            assert reply["lang"] == t.lang and reply["text"].strip(), reply
            assert "Traceback" not in reply["text"]
        if request.unknown:
            [reply] = said
            wanted = "I do not know /{name}. /help lists what you can do here."
            assert reply["text"] == t._(wanted, name=request.unknown)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bot_still_works_after_the_fuzz(bot: Bot) -> None:
    """The bot that took the fuzz (and a last burst of garbage) files a normal report: Anna
    answers the modal's questions and gets her ref."""
    for body in [b"{", b"[]", b"payload=%7B", b"\xff\xfe", b"x" * 10_000]:
        status, _ = await bot.send(Request(body))
        assert status == 400
    workspace = bot.workspace
    before = len(workspace.fake.opened)
    assert (await bot.send(slash(command("UANNA", "/slabot", "cancel"))))[0] == 200
    assert (await bot.send(slash(command("UANNA", "/incident", ""))))[0] == 200
    view = await workspace.opened(before + 1)
    assert "Waar gaat je melding over?" in texts(view["blocks"])
    for choice in ("incident", "down"):
        assert await workspace.choose("UANNA", view["id"], choice) == 200
        view = await workspace.updated(view["id"], view["hash"])
    answer = await workspace.submit("UANNA", view["id"], "Niemand kan inloggen")
    assert "P1" in texts(answer["view"]["blocks"])
    answer = await workspace.submit("UANNA", view["id"])
    assert "PLEK-" in texts(answer["view"]["blocks"])


# -- refused ------------------------------------------------------------------------------------


FORGERIES = [
    "stale",
    "from the future",
    "other secret",
    "other body",
    "no signature",
    "no timestamp",
    "empty signature",
    "v1",
    "truncated",
    "upper case",
    "timestamp not a number",
]


# "\u00b2" (superscript two) and "\u0661" (Arabic-Indic one) are digits to str.isdigit; int()
# reads the second and not the first.
TIMESTAMP_FORMS = ["{stamp}.0", "+{stamp}", " {stamp}", "{stamp}\u00b2", "\u00b2", "\u0661{stamp}"]
TIMESTAMP_FORMS += ["0x1", ""]


def forge(body: bytes, how: str, seconds: int, secret: str) -> dict[str, str]:
    """Slack's headers for ``body``, wrong in the way ``how`` says (``seconds``: how far off
    the clock, ``secret``: the wrong one)."""
    stamp = int(time.time())
    if how == "stale":  # correctly signed, but older than five minutes: a replay
        stamp -= seconds
    elif how == "from the future":
        stamp += seconds
    good = sign(body, stamp)
    headers = {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": good}
    if how == "other secret":
        headers["X-Slack-Signature"] = sign(body, stamp, secret)
    elif how == "other body":
        headers["X-Slack-Signature"] = sign(body + b" ", stamp)
    elif how == "no signature":
        del headers["X-Slack-Signature"]
    elif how == "no timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif how == "empty signature":
        headers["X-Slack-Signature"] = ""
    elif how == "v1":
        headers["X-Slack-Signature"] = "v1=" + good[3:]
    elif how == "truncated":
        headers["X-Slack-Signature"] = good[:-1]
    elif how == "upper case":
        headers["X-Slack-Signature"] = good.upper()
    elif how == "timestamp not a number":  # signed over it, but not Slack's whole seconds
        text = TIMESTAMP_FORMS[seconds % len(TIMESTAMP_FORMS)].format(stamp=stamp)
        headers["X-Slack-Request-Timestamp"] = text
        headers["X-Slack-Signature"] = sign(body, text)
    return headers


@fuzz_settings("slack_forged")
@given(
    request=st.one_of(commands, events, interactions),
    how=st.sampled_from(FORGERIES),
    seconds=st.integers(302, 10**9),
    secret=st.text(min_size=1, max_size=20).filter(lambda s: s != SECRET),
)
# Found while fuzzing: a timestamp "\u00b2" passed str.isdigit and failed int(): a 500 for
# anyone, no secret needed.
@example(slash(command("UANNA", "/incident", "")), "timestamp not a number", 308, "x")
@example(slash(command("UANNA", "/incident", "")), "timestamp not a number", 307, "x")
async def test_forged_stale_and_unsigned_requests_are_refused_unread(
    workspace: Workspace, request: Request, how: str, seconds: int, secret: str
) -> None:
    """A request signed with another secret or over another body, more than five minutes old
    (or ahead), or without the headers: 401, and nothing handled, stored or called."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    headers = {"Content-Type": request.content_type, **forge(body, how, seconds, secret)}
    async with workspace.http.post(workspace.url, data=body, headers=headers) as response:
        assert response.status == 401, how
    assert [c.method for c in workspace.fake.calls] == ["auth.test"]  # the start's token check
    assert workspace.service.adapter.completed == 0
    with Session(workspace.engine) as session:
        assert session.exec(select(InboundEvent)).first() is None
    assert workspace.outbox() == []
