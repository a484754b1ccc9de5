"""The outbox's Telegram transport against the fake Bot API: edits, errors, attachments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import Bot

from bot.outbox import DeliveryError
from bot.telegram import AiohttpRequest, TelegramTransport
from handlers.types import Action, Attachment, Button, ChatRef, Reply
from sla.models import OutboxMessage, UnreachableChat
from tests.bot.telegram.conftest import ANNA, SUPPORT_GROUP, T0, load_directory
from tests.bot.telegram.fake_bot_api import TOKEN, ApiError, FakeBotApi

CARD = Reply(
    "PLEK-1 · Acme Media BV",
    facts=(("Status", "open"),),
    buttons=(Button("Acknowledge", Action.ACK, "PLEK-1"),),
    key="card:PLEK-1:telegram:-2001",
)
GROUP = ChatRef("telegram", str(SUPPORT_GROUP), private=False)
PRIVATE = ChatRef("telegram", str(ANNA.id))


@pytest.fixture
async def transport(
    sqlite_engine: Engine, fake_api: FakeBotApi
) -> AsyncIterator[TelegramTransport]:
    load_directory(sqlite_engine)
    bot = Bot(TOKEN, base_url=f"{fake_api.base_url}/bot", request=AiohttpRequest())
    await bot.initialize()
    yield TelegramTransport(bot, sqlite_engine, clock=lambda: T0)
    await bot.shutdown()


async def test_a_card_is_sent_then_edited_in_place(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """The second send with the stored message id edits that message; no new one appears."""
    first = await transport.send(CARD, GROUP, None)
    changed = Reply("PLEK-1 · Acme Media BV", facts=(("Status", "acknowledged"),), key=CARD.key)
    assert await transport.send(changed, GROUP, first) == first
    [card] = fake_api.messages(SUPPORT_GROUP)
    assert card.text.endswith("Status: acknowledged") and card.edits == 1
    assert card.buttons() == []  # an edit without buttons removes them


async def test_an_edit_that_changes_nothing_is_a_success(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """Telegram's "message is not modified" means the card already shows this."""
    first = await transport.send(CARD, GROUP, None)
    assert await transport.send(CARD, GROUP, first) == first
    assert len(fake_api.messages(SUPPORT_GROUP)) == 1


async def test_a_card_whose_message_is_gone_is_sent_anew(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """An edit of a deleted message falls back to a new message with a new id."""
    new_id = await transport.send(CARD, GROUP, "999")
    assert new_id != "999"
    assert [m.message_id for m in fake_api.messages(SUPPORT_GROUP)] == [int(new_id)]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own
async def test_flood_control_says_when_to_try_again(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """A 429 becomes a DeliveryError carrying Telegram's retry_after."""
    fake_api.fail("sendMessage", ApiError(429, "Too Many Requests: retry after 7", retry_after=7))
    with pytest.raises(DeliveryError) as caught:
        await transport.send(Reply("hallo"), PRIVATE, None)
    assert caught.value.retry_after == 7 and not caught.value.permanent


async def test_network_trouble_is_retried_and_a_bad_request_parked(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """A 502 is worth another try; a request Telegram refuses as wrong is not."""
    fake_api.fail("sendMessage", ApiError(502, "Bad Gateway"))
    with pytest.raises(DeliveryError) as caught:
        await transport.send(Reply("hallo"), PRIVATE, None)
    assert not caught.value.permanent and caught.value.retry_after is None
    fake_api.fail("sendMessage", ApiError(400, "Bad Request: can't parse entities"))
    with pytest.raises(DeliveryError) as caught:
        await transport.send(Reply("hallo"), PRIVATE, None)
    assert caught.value.permanent


async def test_a_migrated_group_is_written_at_its_new_id(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """A group that became a supergroup still gets the message, at the id Telegram names."""
    fake_api.fail(
        "sendMessage",
        ApiError(400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-1009),
        chat_id=SUPPORT_GROUP,
    )
    await transport.send(Reply("hallo"), GROUP, None)
    assert fake_api.texts(-1009) == ["hallo"]


async def test_attachments_go_as_photo_or_document(
    transport: TelegramTransport, fake_api: FakeBotApi
) -> None:
    """A PNG is a photo, a CSV a document; the text comes first and names the message."""
    reply = Reply(
        "Rapport november",
        attachments=(
            Attachment("grafiek.png", "image/png", b"\x89PNG\r\n\x1a\n"),
            Attachment("incidenten.csv", "text/csv", b"ref,status\nPLEK-1,resolved\n"),
        ),
    )
    message_id = await transport.send(reply, GROUP, None)
    kinds = [(m.kind, m.filename) for m in fake_api.messages(SUPPORT_GROUP)]
    assert kinds == [("text", None), ("photo", "grafiek.png"), ("document", "incidenten.csv")]
    assert message_id == str(fake_api.messages(SUPPORT_GROUP)[0].message_id)


async def test_a_blocked_user_is_recorded_and_support_told(
    transport: TelegramTransport, fake_api: FakeBotApi, sqlite_engine: Engine
) -> None:
    """A 403 parks the message, records the chat, and queues a notice for the support group."""
    fake_api.blocked.add(ANNA.id)
    with pytest.raises(DeliveryError) as caught:
        await transport.send(Reply("PLEK-1: opgepakt"), PRIVATE, None)
    assert caught.value.permanent
    with Session(sqlite_engine) as session:
        assert session.get(UnreachableChat, ("telegram", str(ANNA.id))) is not None
        [notice] = session.exec(select(OutboxMessage)).all()
    assert notice.chat_id == str(SUPPORT_GROUP)
    assert "Anna de Vries" in notice.payload["text"]
    assert notice.payload["text"].endswith("PLEK-1: opgepakt")
