"""The whole flow in Telegram chats: real PTB polling against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.outbox import enqueue
from bot.telegram import TelegramConfigError, api_urls, run_telegram
from bot.telegram._service import check_settings
from bot.telegram._update_handler import UpdateHandler
from bot.timers import fire_all_due
from handlers.types import Action, Button, ChatRef, Reply
from sla.db import session_scope
from sla.i18n import translator
from sla.models import InboundEvent, UnreachableChat
from tests.bot.telegram.conftest import (
    ANNA,
    BRAM,
    CUSTOMER_GROUP,
    LISA,
    SAM,
    STRANGER,
    SUPPORT_GROUP,
    T0,
    Telegram,
    until,
)
from tests.bot.telegram.fake_bot_api import ApiError, Person, Sent

NL = translator("nl")
DESCRIPTION = "Niemand kan inloggen <b>nep</b> & </i>"


async def question(telegram: Telegram, chat_id: int, after: int) -> Sent:
    """The next message to ``chat_id`` with buttons."""
    return await until(
        lambda: next(
            (m for m in telegram.api.messages(chat_id) if m.message_id > after and m.buttons()),
            None,
        ),
        f"a question with buttons in {chat_id}",
    )


async def report(
    telegram: Telegram, person: Person = ANNA, chat_id: int | None = None
) -> tuple[Sent, Sent]:
    """``person`` reports a Plek P1 (a disruption, completely unavailable); (filed, card)."""
    where = chat_id if chat_id is not None else person.id
    start = telegram.last_id()
    telegram.api.say(person, "/incident", chat_id=chat_id)
    first = await question(telegram, where, start)
    telegram.api.press(person, first, first.buttons()[0][0])
    second = await question(telegram, where, first.message_id)
    telegram.api.press(person, second, second.buttons()[0][0])
    field = await telegram.message(where, after=second.message_id)
    assert not field.buttons()
    telegram.api.say(person, DESCRIPTION, chat_id=chat_id, reply_to=field)
    confirm = await question(telegram, where, field.message_id)
    telegram.api.press(person, confirm, NL._("File incident"))
    filed = await telegram.message(where, "PLEK-1", after=confirm.message_id)
    card = await telegram.message(SUPPORT_GROUP, "PLEK-1")
    return filed, card


async def test_unregistered_user_is_refused_in_their_language(telegram: Telegram) -> None:
    """Someone not in the directory gets the refusal in the language their Telegram speaks."""
    telegram.api.say(STRANGER, "/incident")
    reply = await telegram.message(STRANGER.id)
    t = translator("de")
    assert t._("Sorry, only registered contact persons can report incidents here.") in reply.text
    assert telegram.incidents() == []


async def test_start_up_sets_the_command_menu_in_three_languages(telegram: Telegram) -> None:
    """setMyCommands runs for the default list and for nl, de and en, each in its language."""
    calls = telegram.api.called("setMyCommands")
    assert sorted(str(c.get("language_code")) for c in calls) == ["None", "de", "en", "nl"]
    dutch = next(c for c in calls if c.get("language_code") == "nl")
    assert NL._("Report an incident") in dutch["commands"]
    assert '"command": "incident"' in dutch["commands"]


async def test_beheerder_reports_privately_and_support_gets_the_card(telegram: Telegram) -> None:
    """One question per message with buttons; the report ends as a card in the support group."""
    filed, card = await report(telegram)
    assert NL._("Type /status to follow it.") in filed.text
    incident = telegram.incident("PLEK-1")
    assert incident.priority == "P1" and incident.fields["description"] == DESCRIPTION
    # The reporter's text is shown literally: escaped, never taken as formatting.
    assert DESCRIPTION in card.text
    assert all(e["type"] == "bold" for e in card.entities)
    assert NL._("Acknowledge") in [label for label, _ in card.buttons()]
    assert all(c["parse_mode"] == "HTML" for c in telegram.api.called("sendMessage"))
    # Answered questions show the answer and lose their buttons.
    answered = await until(
        lambda: (
            [m for m in telegram.api.messages(ANNA.id) if "»" in m.text][2:]
            and [m for m in telegram.api.messages(ANNA.id) if "»" in m.text]
        ),
        "three answered questions",
    )
    assert len(answered) == 3 and all(not m.buttons() for m in answered)
    assert answered[-1].text.endswith("» " + NL._("File incident"))


async def test_beheerder_reports_from_the_customer_group(telegram: Telegram) -> None:
    """In a group the questions go to the group, and a free-text question asks for a reply."""
    await report(telegram, ANNA, chat_id=CUSTOMER_GROUP)
    prompts = [
        m for m in telegram.api.messages(CUSTOMER_GROUP) if m.markup and "force_reply" in m.markup
    ]
    assert len(prompts) == 1
    assert telegram.incident("PLEK-1").origin_chat_id == str(CUSTOMER_GROUP)


async def test_acknowledge_wait_resolve_edit_the_card_and_tell_the_reporter(
    telegram: Telegram,
) -> None:
    """Support works the card in place; Anna hears of each step in her own chat."""
    _, card = await report(telegram)
    telegram.clock.advance(minutes=10)
    telegram.api.press(SAM, card, NL._("Acknowledge"))
    await telegram.message(
        ANNA.id,
        NL._(
            "{ref}: {name} of support has picked up your report.", ref="PLEK-1", name="Sam Support"
        ),
    )
    await until(
        lambda: card.edits >= 1 and NL._("Acknowledge") not in dict(card.buttons()),
        "the card to lose its Acknowledge button",
    )

    before = telegram.last_id()
    telegram.api.press(SAM, card, NL._("Wait on customer"))
    ask = await telegram.message(SUPPORT_GROUP, "PLEK-1", after=before)
    assert ask.markup is not None and "force_reply" in ask.markup
    telegram.api.say(SAM, "Welke browser?", chat_id=SUPPORT_GROUP, reply_to=ask)
    await telegram.message(ANNA.id, "Welke browser?")
    await until(lambda: telegram.incident("PLEK-1").status == "waiting", "PLEK-1 waiting")

    before = telegram.last_id()
    telegram.api.press(SAM, card, NL._("Resolve"))
    ask = await telegram.message(SUPPORT_GROUP, "PLEK-1", after=before)
    telegram.api.say(SAM, "Certificaat vernieuwd", chat_id=SUPPORT_GROUP, reply_to=ask)
    told = await telegram.message(ANNA.id, "Certificaat vernieuwd")
    assert told.text == NL._(
        "{ref} is resolved. What was done: {note}", ref="PLEK-1", note="Certificaat vernieuwd"
    )
    await until(lambda: NL._("resolved") in card.text, "the card to say resolved")
    assert telegram.events("PLEK-1") == ["reported", "acknowledged", "waiting", "resolved"]
    # One card, edited in place on every change.
    assert [
        m for m in telegram.api.messages(SUPPORT_GROUP) if m.buttons() and "PLEK-1 ·" in m.text
    ] == [card]
    assert card.edits >= 3


async def test_non_staff_press_gets_an_alert_and_changes_nothing(telegram: Telegram) -> None:
    """Bram pressing Acknowledge on the card is refused with an alert; the incident stays open."""
    _, card = await report(telegram)
    sent_before = len(telegram.api.called("sendMessage"))
    update = telegram.api.press(BRAM, card, NL._("Acknowledge"))
    await telegram.handled(update)
    query_id = update["callback_query"]["id"]
    # The answer follows the handling, so wait for it rather than for the queue to drain.
    answer = await until(
        lambda: telegram.api.called("answerCallbackQuery", callback_query_id=query_id), "answer"
    )
    assert len(answer) == 1 and answer[0]["show_alert"] == "true"
    assert answer[0]["text"] == NL._("Only support staff can do this.")
    assert telegram.incident("PLEK-1").status == "open"
    assert telegram.events("PLEK-1") == ["reported"]
    assert len(telegram.api.called("sendMessage")) == sent_before
    assert card.edits == 0


async def test_every_press_is_answered(telegram: Telegram) -> None:
    """Each callback query gets exactly one answerCallbackQuery, accepted or not."""
    _, card = await report(telegram)
    telegram.api.press(SAM, card, NL._("Acknowledge"))
    await telegram.message(ANNA.id, "Sam Support")
    # Three answers to the questionnaire and one acknowledgement.
    presses = await until(lambda: telegram.api.answers()[3:] and telegram.api.answers(), "answers")
    assert len(presses) == 4
    assert len({p["callback_query_id"] for p in presses}) == 4
    assert all("text" not in p for p in presses)  # accepted: no alert


def timer_tags(telegram: Telegram, chat_id: int) -> list[tuple[str, ...]]:
    """The tags of timer messages sent to ``chat_id`` (reminders, breaches, escalations)."""
    rows = [r for r in telegram.outbox() if r.chat_id == str(chat_id) and r.status == "sent"]
    timers = {"reminder", "breach", "escalation"}
    return [tuple(r.payload["tags"]) for r in rows if timers & set(r.payload["tags"])]


async def test_a_reminder_and_an_escalation_ping_are_delivered(telegram: Telegram) -> None:
    """Fired timers reach the support group (reminder) and the team lead's private chat."""
    await report(telegram)
    before = telegram.last_id()
    telegram.clock.now = T0 + timedelta(hours=2, minutes=1)  # half of the 4 hours gone
    fire_all_due(telegram.engine, telegram.clock.now)
    telegram.app.delivery.poke()
    reminder = await telegram.message(SUPPORT_GROUP, "PLEK-1", after=before)
    assert reminder.edits == 0 and not reminder.buttons()
    # The row is marked sent just after Telegram took the message.
    assert await until(lambda: timer_tags(telegram, SUPPORT_GROUP), "sent") == [("reminder",)]

    telegram.clock.now = T0 + timedelta(hours=4, minutes=1)  # the resolution time is missed
    fire_all_due(telegram.engine, telegram.clock.now)
    telegram.app.delivery.poke()
    ping = await telegram.message(LISA.id, "PLEK-1")
    assert "Acme Media BV" in ping.text
    assert await until(lambda: timer_tags(telegram, LISA.id), "sent") == [("escalation",)]
    assert telegram.incident("PLEK-1").escalation_level == 1


async def test_a_restart_in_the_middle_of_the_questionnaire_resumes_it(
    telegram: Telegram,
) -> None:
    """Stop the Application after the first answer, start a new one: the report goes on."""
    telegram.api.say(ANNA, "/incident")
    first = await question(telegram, ANNA.id, 0)
    telegram.api.press(ANNA, first, first.buttons()[0][0])
    second = await question(telegram, ANNA.id, first.message_id)
    old = telegram.service
    await telegram.stop()
    await telegram.start()
    assert telegram.service is not old
    telegram.api.press(ANNA, second, second.buttons()[0][0])
    field = await telegram.message(ANNA.id, after=second.message_id)
    telegram.api.say(ANNA, "Na de herstart", reply_to=field)
    confirm = await question(telegram, ANNA.id, field.message_id)
    telegram.api.press(ANNA, confirm, NL._("File incident"))
    await telegram.message(SUPPORT_GROUP, "PLEK-1")
    assert telegram.incident("PLEK-1").fields == {"description": "Na de herstart"}


async def test_a_redelivered_update_is_handled_once(telegram: Telegram) -> None:
    """The same update_id twice (Telegram resending it) acknowledges and informs once."""
    _, card = await report(telegram)
    update = telegram.api.press(SAM, card, NL._("Acknowledge"))
    await telegram.handled(update)
    telegram.api.redeliver(update)  # same update_id, same callback query
    query_id = update["callback_query"]["id"]
    await until(
        lambda: len(telegram.api.called("answerCallbackQuery", callback_query_id=query_id)) == 2,
        "the redelivered press to be answered too",
    )
    await telegram.handled(update)
    assert telegram.events("PLEK-1") == ["reported", "acknowledged"]
    informed = [t for t in telegram.api.texts(ANNA.id) if "Sam Support" in t]
    assert len(informed) == 1
    with Session(telegram.engine) as session:
        keys = [e.key for e in session.exec(select(InboundEvent))]
    assert f"123456:{update['update_id']}" in keys


async def test_an_answer_is_queued_with_the_change_so_a_crash_right_after_loses_nothing(
    telegram: Telegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The priority question a press asks is queued in the handling's transaction: if the
    process dies right after handling (before anything else runs), it is still sent, and the
    redelivered press (Telegram never heard 200) changes nothing and asks nothing twice."""
    _, card = await report(telegram)

    async def died(*args: Any) -> None:
        raise asyncio.CancelledError  # the process is gone: nothing after handling runs

    monkeypatch.setattr(UpdateHandler, "_show", died)
    update = telegram.api.press(SAM, card, NL._("Priority"))
    question = await telegram.message(SUPPORT_GROUP, "PLEK-1", after=card.message_id)
    assert "P2" in " ".join(label for label, _ in question.buttons())
    telegram.api.redeliver(update)
    await telegram.handled(update)
    asked = [m for m in telegram.api.messages(SUPPORT_GROUP) if m.message_id > card.message_id]
    assert asked == [question]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own
async def test_flood_control_is_honoured_and_nothing_is_dropped(telegram: Telegram) -> None:
    """A 429 with retry_after holds the chat's messages until then; all arrive, in order."""
    telegram.api.fail(
        "sendMessage",
        ApiError(429, "Too Many Requests: retry after 30", retry_after=30),
        chat_id=ANNA.id,
    )
    telegram.api.say(ANNA, "/incident")
    await until(lambda: telegram.api.called("sendMessage", chat_id=ANNA.id), "the first attempt")
    waiting = await until(
        lambda: [r for r in telegram.outbox() if r.attempts == 1] or None, "the retry to be planned"
    )
    assert waiting[0].next_attempt_at == T0 + timedelta(seconds=30)
    assert telegram.api.messages(ANNA.id) == []  # the intro and the question both wait
    telegram.clock.advance(seconds=30)
    telegram.app.delivery.poke()
    await question(telegram, ANNA.id, 0)
    texts = telegram.api.texts(ANNA.id)
    assert len(texts) == 2 and "Acme Media BV" in texts[0]
    await until(lambda: all(r.status == "sent" for r in telegram.outbox()), "all marked sent")


async def test_a_blocked_user_is_recorded_and_the_support_group_told(telegram: Telegram) -> None:
    """Anna blocked the bot: the message to her is parked, recorded, and support hears of it."""
    _, card = await report(telegram)
    telegram.api.blocked.add(ANNA.id)
    before = telegram.last_id()
    telegram.api.press(SAM, card, NL._("Acknowledge"))
    notice = await telegram.message(SUPPORT_GROUP, "Anna de Vries", after=before)
    assert "PLEK-1" in notice.text  # the message that did not reach her
    with Session(telegram.engine) as session:
        unreachable = session.get(UnreachableChat, ("telegram", str(ANNA.id)))
    assert unreachable is not None and "blocked" in unreachable.reason
    parked = await until(lambda: [r for r in telegram.outbox() if r.status == "parked"], "park")
    assert [r.chat_id for r in parked] == [str(ANNA.id)]
    # She unblocks the bot and writes to it: she can be reached again.
    telegram.api.blocked.discard(ANNA.id)
    update = telegram.api.say(ANNA, "/help")
    await telegram.handled(update)
    with Session(telegram.engine) as session:
        assert session.get(UnreachableChat, ("telegram", str(ANNA.id))) is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_refuses_requests_without_the_secret_token(telegram: Telegram) -> None:
    """Webhook mode: no or a wrong secret-token header is refused; the right one is handled."""
    await telegram.stop()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    await telegram.start(
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET="s3cret-token",
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=port,
    )
    registered = telegram.api.called("setWebhook")
    assert registered[-1]["url"] == url and registered[-1]["secret_token"] == "s3cret-token"
    update = telegram.api.say(STRANGER, "/help")
    telegram.api.updates.clear()  # delivered by webhook here, not by getUpdates
    header = "X-Telegram-Bot-Api-Secret-Token"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update) as response:
            assert response.status == 403
        async with http.post(url, json=update, headers={header: "guess"}) as response:
            assert response.status == 403
        assert telegram.api.messages(STRANGER.id) == []
        async with http.post(url, json=update, headers={header: "s3cret-token"}) as response:
            assert response.status == 200
    reply = await telegram.message(STRANGER.id)
    assert "slabot" in reply.text


async def test_a_button_whose_data_is_too_long_still_works(telegram: Telegram) -> None:
    """Over 64 bytes the button carries a digest; the press finds the full value again."""
    await report(telegram)
    priority = "P" + "9" * 70
    offer = Reply(
        "Kies",
        chat=ChatRef("telegram", str(SUPPORT_GROUP), private=False),
        buttons=(Button("Rare prioriteit", Action.SET_PRIORITY, f"PLEK-1 {priority}"),),
    )
    with session_scope(telegram.engine) as session:
        enqueue(session, [offer], telegram.clock())
    telegram.app.delivery.poke()
    sent = await telegram.message(SUPPORT_GROUP, "Kies")
    assert sent.buttons()[0][1].startswith("#sp:")
    before = telegram.last_id()
    telegram.api.press(SAM, sent, "Rare prioriteit")
    asked = await telegram.message(SUPPORT_GROUP, priority, after=before)
    assert "PLEK-1" in asked.text


async def test_an_unknown_button_is_answered_as_expired(telegram: Telegram) -> None:
    """A press the bot cannot read (an old version's data) still gets an answer."""
    telegram.api.sent[(ANNA.id, 999)] = old = Sent(
        ANNA.id, 999, "oud", [], {"inline_keyboard": [[{"text": "x", "callback_data": "zz:1"}]]}
    )
    update = telegram.api.press(ANNA, old, "x")
    query_id = update["callback_query"]["id"]
    [answer] = await until(
        lambda: telegram.api.called("answerCallbackQuery", callback_query_id=query_id), "answer"
    )
    assert answer["show_alert"] == "true"
    assert answer["text"] == NL._("This button has expired.")


def test_settings_are_checked_before_starting(telegram: Telegram) -> None:
    """No token, or a webhook without a usable secret token, is refused with a clear error."""
    with pytest.raises(TelegramConfigError, match="TELEGRAM_BOT_TOKEN"):
        check_settings(telegram.settings(TELEGRAM_BOT_TOKEN=None))
    with pytest.raises(TelegramConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        check_settings(telegram.settings(TELEGRAM_WEBHOOK_URL="https://bot.example/hook"))
    with pytest.raises(TelegramConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        check_settings(
            telegram.settings(
                TELEGRAM_WEBHOOK_URL="https://bot.example/hook",
                TELEGRAM_WEBHOOK_SECRET="not allowed!",
            )
        )
    assert api_urls("http://127.0.0.1:8081/") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert api_urls("http://127.0.0.1:8081/bot") == api_urls("http://127.0.0.1:8081")


async def test_run_telegram_waits_for_telegram_and_stops_when_cancelled(
    telegram: Telegram,
) -> None:
    """The entry point retries a Telegram outage at start-up, serves, and stops on cancel."""
    await telegram.stop()
    assert "telegram" not in telegram.app.transports  # what is due waits in the outbox
    telegram.api.fail("getMe", ApiError(502, "Bad Gateway"), times=2)
    task = asyncio.create_task(run_telegram(telegram.app, telegram.settings(), retry_delay=0.01))
    telegram.api.say(ANNA, "/help")
    reply = await telegram.message(ANNA.id)
    assert "Acme Media BV" in reply.text
    assert len(telegram.api.called("getMe")) >= 3
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert "telegram" not in telegram.app.transports


def _added_to(telegram: Telegram, chat_id: int) -> dict[str, Any]:
    bot = {"id": 123456, "is_bot": True, "first_name": "slabot"}
    change = {
        "chat": {"id": chat_id, "type": "supergroup", "title": "Nieuw"},
        "from": SAM.as_user(),
        "date": 0,
        "old_chat_member": {"status": "left", "user": bot},
        "new_chat_member": {"status": "member", "user": bot},
    }
    return telegram.api.inject({"update_id": 50_000 + abs(chat_id), "my_chat_member": change})


async def test_added_to_an_unknown_group_the_bot_tells_its_id(telegram: Telegram) -> None:
    """A new group hears its chat id (to bind it in the directory); a bound one hears nothing."""
    _added_to(telegram, SUPPORT_GROUP)
    _added_to(telegram, -3001)  # handled after the first: updates are handled in order
    greeting = await telegram.message(-3001, "-3001")
    assert "support_chats" in greeting.text
    assert telegram.api.messages(SUPPORT_GROUP) == []
