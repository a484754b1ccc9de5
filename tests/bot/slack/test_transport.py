"""Delivering outbox messages to Slack: posts, edits, ephemerals, files, 429s and dead chats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.outbox import DeliveryError, enqueue
from bot.outbox_delivery import deliver_due
from bot.slack.mrkdwn import escape
from bot.slack.transport import WORDING, SlackTransport, ephemeral_chat, unreachable_chat
from handlers.types import Action, Attachment, Button, ChatRef, Reply
from sla.db import session_scope
from sla.i18n import translator
from sla.models import OutboxMessage, UnreachableChat
from tests.bot.slack.conftest import START, check_blocks, load_directory, texts
from tests.bot.slack.fake_slack import TOKEN, Failure, FakeSlack


@pytest.fixture
async def transport(sqlite_engine: Engine, fake: FakeSlack) -> AsyncIterator[SlackTransport]:
    client = AsyncWebClient(token=TOKEN, base_url=fake.base + "/api/", retry_handlers=[])
    yield SlackTransport(client, sqlite_engine, clock=lambda: START)


def card(text: str = "New incident PLEK-1") -> Reply:
    return Reply(
        text,
        title="PLEK-1 · Acme",
        facts=(("Status", "open"),),
        buttons=(Button("Acknowledge", Action.ACK, "PLEK-1", "primary"),),
        key="card:PLEK-1",
    )


async def test_a_card_is_posted_then_edited_in_place(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """The first send posts; a send with the earlier id edits that message (chat.update)."""
    first = await transport.send(card(), ChatRef("slack", "CSUPPORT", False), None)
    channel, _, ts = first.partition(":")
    assert (channel, ts) in fake.messages
    again = await transport.send(card("acknowledged"), ChatRef("slack", "CSUPPORT", False), first)
    assert again == first
    [update] = fake.to("chat.update")
    assert (update["channel"], update["ts"]) == (channel, ts)
    check_blocks(update["blocks"])
    assert "acknowledged" in texts(update["blocks"])


async def test_a_deleted_card_is_posted_again(transport: SlackTransport, fake: FakeSlack) -> None:
    """If the card was deleted, the edit becomes a new message rather than a lost update."""
    new = await transport.send(card(), ChatRef("slack", "CSUPPORT", False), "CSUPPORT:1.000")
    assert new != "CSUPPORT:1.000" and len(fake.sent_to("CSUPPORT")) == 1


async def test_a_direct_message_goes_to_the_user_id(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """A user id as the chat is a DM from the app; the id kept is the DM channel's."""
    message_id = await transport.send(Reply("Hallo"), ChatRef("slack", "ULISA"), None)
    assert message_id.startswith("DLISA:")
    assert fake.sent_to("ULISA")[0]["text"] == "Hallo"


async def test_ephemeral_falls_back_to_a_dm_where_the_app_is_not(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """CHANNEL/USER is ephemeral; in a channel the app cannot post to, it becomes a DM."""
    await transport.send(Reply("Alleen jij"), ChatRef("slack", ephemeral_chat("C1", "UANNA")), None)
    assert fake.ephemeral("C1", "UANNA")[0]["text"] == "Alleen jij"
    await transport.send(Reply("Toch"), ChatRef("slack", ephemeral_chat("CGONE", "UANNA")), None)
    assert fake.sent_to("UANNA")[0]["text"] == "Toch"


async def test_text_is_escaped_for_mrkdwn(transport: SlackTransport, fake: FakeSlack) -> None:
    """A report's <!channel> or fake link is shown as typed, never acted on."""
    await transport.send(Reply("<!channel> & <https://evil|bank>"), ChatRef("slack", "C1"), None)
    [sent] = fake.sent_to("C1")
    assert sent["text"] == "&lt;!channel&gt; &amp; &lt;https://evil|bank&gt;"
    assert texts(sent["blocks"]) == sent["text"]


async def test_attachments_are_uploaded_with_the_text_as_comment(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """Files go up with files_upload_v2 (a DM via conversations.open), the text as comment."""
    reply = Reply(
        "Report <november>",
        facts=(("Compliance", "92 %"),),
        attachments=(Attachment("report.csv", "text/csv", b"ref,status\nPLEK-1,resolved\n"),),
    )
    message_id = await transport.send(reply, ChatRef("slack", "UANNA"), None)
    assert message_id.startswith("DANNA:file:F")
    assert list(fake.uploads.values()) == [b"ref,status\nPLEK-1,resolved\n"]
    [done] = fake.to("files.completeUploadExternal")
    assert done["channel_id"] == "DANNA"
    assert done["initial_comment"] == "Report &lt;november&gt;\nCompliance: 92 %"


async def test_files_for_one_person_in_a_channel_go_to_their_dm(
    transport: SlackTransport, fake: FakeSlack
) -> None:
    """/slabot report in a channel: Slack has no ephemeral files, so they arrive in the DM."""
    reply = Reply("Rapport", attachments=(Attachment("r.csv", "text/csv", b"a,b\n"),))
    message_id = await transport.send(
        reply, ChatRef("slack", ephemeral_chat("CACME", "UANNA")), None
    )
    assert message_id.startswith("DANNA:file:F")
    assert fake.to("chat.postEphemeral") == []


async def test_rate_limit_is_retried_after_retry_after_and_nothing_is_dropped(
    sqlite_engine: Engine, transport: SlackTransport, fake: FakeSlack
) -> None:
    """A 429 keeps the message pending until Slack's Retry-After has passed, then sends it."""
    fake.fail("chat.postMessage", Failure(status=429, retry_after=7))
    with session_scope(sqlite_engine) as session:
        enqueue(session, [Reply("Herinnering", chat=ChatRef("slack", "CSUPPORT", False))], START)
    transports = {"slack": transport}
    assert await deliver_due(sqlite_engine, transports, START) == 0
    with Session(sqlite_engine) as session:
        [row] = session.exec(select(OutboxMessage)).all()
    assert row.status == "pending" and row.next_attempt_at == START + timedelta(seconds=7)
    assert await deliver_due(sqlite_engine, transports, START + timedelta(seconds=6)) == 0
    assert await deliver_due(sqlite_engine, transports, START + timedelta(seconds=7)) == 1
    assert len(fake.to("chat.postMessage")) == 2
    assert fake.sent_to("CSUPPORT")[-1]["text"] == "Herinnering"


async def test_a_channel_the_app_lost_is_parked_and_recorded(
    sqlite_engine: Engine, transport: SlackTransport
) -> None:
    """channel_not_found cannot be fixed by retrying: parked at once, the chat recorded."""
    with session_scope(sqlite_engine) as session:
        enqueue(session, [Reply("Hallo", chat=ChatRef("slack", "CGONE1", False))], START)
    await deliver_due(sqlite_engine, {"slack": transport}, START)
    with Session(sqlite_engine) as session:
        [row] = session.exec(select(OutboxMessage)).all()
        [gone] = session.exec(select(UnreachableChat)).all()
    assert row.status == "parked" and "channel_not_found" in (row.last_error or "")
    assert (gone.chat_id, gone.reason) == ("CGONE1", "channel_not_found")


async def test_a_deactivated_person_is_recorded_and_support_told(
    sqlite_engine: Engine, fake: FakeSlack
) -> None:
    """A DM to a deactivated account is parked, the person recorded, and the support channel
    gets a notice in the customer's language with the message she missed."""
    load_directory(sqlite_engine)
    fake.inactive.add("UANNA")
    client = AsyncWebClient(token=TOKEN, base_url=fake.base + "/api/", retry_handlers=[])
    pokes: list[int] = []
    transport = SlackTransport(
        client, sqlite_engine, clock=lambda: START, on_queued=lambda: pokes.append(1)
    )
    with session_scope(sqlite_engine) as session:
        enqueue(session, [Reply("PLEK-1 is opgepakt", chat=ChatRef("slack", "UANNA"))], START)
    await deliver_due(sqlite_engine, {"slack": transport}, START)
    with Session(sqlite_engine) as session:
        gone = session.get(UnreachableChat, ("slack", "UANNA"))
        assert gone is not None and gone.reason == "account_inactive"
    assert pokes == [1]
    await deliver_due(sqlite_engine, {"slack": transport}, START)
    [notice] = fake.sent_to("CSUPPORT")
    assert notice["text"].startswith(escape(WORDING.person(translator("nl"), "Anna de Vries")))
    assert notice["text"].endswith("PLEK-1 is opgepakt")
    with Session(sqlite_engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [(r.chat_id, r.status) for r in rows] == [("UANNA", "parked"), ("CSUPPORT", "sent")]


def test_which_chat_an_error_names() -> None:
    """A message for one person in a channel: a channel error names the channel, any other the
    person; a plain channel or DM is itself."""
    assert unreachable_chat("CACME/UANNA", "is_archived") == ChatRef("slack", "CACME", False)
    assert unreachable_chat("CACME/UANNA", "account_inactive") == ChatRef("slack", "UANNA", True)
    assert unreachable_chat("CACME/UANNA", "user_not_in_channel") == ChatRef("slack", "UANNA")
    assert unreachable_chat("CACME", "not_in_channel") == ChatRef("slack", "CACME", False)
    assert unreachable_chat("ULISA", "user_not_found") == ChatRef("slack", "ULISA", True)
    assert unreachable_chat("DLISA", "account_inactive") == ChatRef("slack", "DLISA", True)


async def test_a_server_error_is_retried_later(transport: SlackTransport, fake: FakeSlack) -> None:
    """Slack's own failures are temporary: the outbox backs off and tries again."""
    fake.fail("chat.postMessage", Failure(status=500, error="internal_error"))
    with pytest.raises(DeliveryError) as failure:
        await transport.send(Reply("x"), ChatRef("slack", "C1"), None)
    assert not failure.value.permanent and failure.value.retry_after is None


async def test_slack_unreachable_is_a_temporary_failure(sqlite_engine: Engine) -> None:
    """No answer at all (connection refused) is retried, not parked."""
    client = AsyncWebClient(token=TOKEN, base_url="http://127.0.0.1:9/api/", retry_handlers=[])
    transport = SlackTransport(client, sqlite_engine)
    with pytest.raises(DeliveryError) as failure:
        await transport.send(Reply("x"), ChatRef("slack", "C1"), None)
    assert not failure.value.permanent
    assert not failure.value.maybe_sent  # no connection: Slack never saw it
