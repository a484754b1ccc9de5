"""End to end in a fake Slack workspace: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlmodel import Session, select

import bot.inbox
from bot.slack import adapter
from bot.timers import fire_all_due
from handlers.types import Reply
from sla.i18n import translator
from sla.models import Draft, InboundEvent, UnreachableChat
from tests.bot.slack.conftest import Workspace, buttons, check_blocks, texts
from tests.bot.slack.fake_slack import Failure, until


async def test_unregistered_person_is_refused_ephemerally_in_their_locale(
    workspace: Workspace,
) -> None:
    """Someone not in the directory gets a refusal only they see, in German (users.info)."""
    assert await workspace.command("USTRANGER", "CRANDOM") == 200
    await workspace.handled(1)
    await workspace.deliver()
    [refusal] = workspace.fake.ephemeral("CRANDOM", "USTRANGER")
    t = translator("de")
    assert (
        t._("Sorry, only registered contact persons can report incidents here.")
        in (refusal["text"])
    )
    check_blocks(refusal["blocks"])
    assert workspace.fake.to("views.open") == []
    assert workspace.fake.to("users.info")[0]["include_locale"] in (True, "true", "1")


async def report(workspace: Workspace, description: str) -> dict[str, Any]:
    """Anna files a P1 through the modal; returns the final view."""
    assert await workspace.command("UANNA", "CACME") == 200
    view = await workspace.opened()
    assert "Waar gaat je melding over?" in texts(view["blocks"])
    assert await workspace.choose("UANNA", view["id"], "incident") == 200
    view = await workspace.updated(view["id"], view["hash"])
    assert "Wat merken de gebruikers?" in texts(view["blocks"])
    await workspace.choose("UANNA", view["id"], "down")
    view = await workspace.updated(view["id"], view["hash"])
    assert view["submit"]["text"] == translator("nl")._("Next")
    answer = await workspace.submit("UANNA", view["id"], description)
    confirm = answer["view"]
    assert "P1" in texts(confirm["blocks"])
    answer = await workspace.submit("UANNA", view["id"])
    return answer["view"]  # type: ignore[no-any-return]


async def test_beheerder_reports_through_the_modal_and_support_gets_the_card(
    workspace: Workspace,
) -> None:
    """Questions, a typed description and the confirmation in one modal file PLEK-1; the support
    channel gets its card, escaped, and Anna a direct message with the ref."""
    final = await report(workspace, "Niemand kan inloggen <!channel> & <https://x.y|klik>")
    assert "PLEK-1" in texts(final["blocks"])
    assert "submit" not in final
    await workspace.handled(5)
    assert await workspace.deliver() == 2
    incident = workspace.incident("PLEK-1")
    assert incident.priority == "P1"
    assert incident.fields == {
        "description": "Niemand kan inloggen <!channel> & <https://x.y|klik>"
    }
    assert (incident.origin_platform, incident.origin_chat_id) == ("slack", "CACME")
    [card] = workspace.fake.sent_to("CSUPPORT")
    check_blocks(card["blocks"])
    shown = texts(card["blocks"])
    assert "PLEK-1 · Acme Media BV" in shown
    assert "&lt;!channel&gt; &amp; &lt;https://x.y|klik&gt;" in shown
    assert "<!channel>" not in shown and "<!channel>" not in card["text"]
    labels = [b["text"]["text"] for b in buttons(card["blocks"])]
    t = translator("nl")
    assert t._("Acknowledge") in labels and t._("Resolve") in labels
    [dm] = workspace.fake.sent_to("UANNA")
    assert "PLEK-1" in dm["text"]
    assert workspace.events("PLEK-1") == ["reported"]


def card_of(workspace: Workspace) -> tuple[str, str, list[dict[str, Any]]]:
    """The incident card in the support channel as it stands: channel, ts and blocks."""
    [(channel, ts)] = [key for key in workspace.fake.messages if key[0] == "CSUPPORT"]
    blocks = workspace.fake.messages[(channel, ts)]["blocks"]
    check_blocks(blocks)
    return channel, ts, blocks


def card_button(blocks: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return next(b for b in buttons(blocks) if b["text"]["text"] == label)


async def filed(workspace: Workspace) -> None:
    await report(workspace, "Niemand kan inloggen")
    await workspace.handled(5)
    await workspace.deliver()


async def test_staff_acknowledge_wait_and_resolve_with_a_note_from_the_card(
    workspace: Workspace,
) -> None:
    """The card's buttons work the incident; it is edited in place and Anna hears of each step."""
    await filed(workspace)
    t = translator("nl")
    channel, ts, blocks = card_of(workspace)
    workspace.later(minutes=20)

    await workspace.press("USUPPORT", channel, ts, card_button(blocks, t._("Acknowledge")))
    await workspace.handled(6)
    await workspace.deliver()
    assert workspace.incident("PLEK-1").status == "acknowledged"
    [update] = workspace.fake.to("chat.update")
    assert (update["channel"], update["ts"]) == (channel, ts)
    _, _, blocks = card_of(workspace)
    assert t._("Acknowledge") not in [b["text"]["text"] for b in buttons(blocks)]
    assert "Sam Support" in workspace.fake.sent_to("UANNA")[-1]["text"]

    await workspace.press("USUPPORT", channel, ts, card_button(blocks, t._("Wait on customer")))
    view = await workspace.opened(2)
    assert "PLEK-1" in texts(view["blocks"])
    assert await workspace.submit("USUPPORT", view["id"], "Welke browser gebruik je?") == {}
    await workspace.handled(8)
    await workspace.deliver()
    assert workspace.incident("PLEK-1").status == "waiting"
    assert "Welke browser gebruik je?" in workspace.fake.sent_to("UANNA")[-1]["text"]
    _, _, blocks = card_of(workspace)

    await workspace.press("USUPPORT", channel, ts, card_button(blocks, t._("Resume")))
    await workspace.handled(9)
    await workspace.deliver()
    _, _, blocks = card_of(workspace)
    await workspace.press("USUPPORT", channel, ts, card_button(blocks, t._("Resolve")))
    view = await workspace.opened(3)
    assert view["blocks"][-1]["type"] == "input"
    assert await workspace.submit("USUPPORT", view["id"], "Certificaat vernieuwd") == {}
    await workspace.handled(11)
    await workspace.deliver()
    incident = workspace.incident("PLEK-1")
    assert incident.status == "resolved" and incident.resolution_note == "Certificaat vernieuwd"
    assert "Certificaat vernieuwd" in workspace.fake.sent_to("UANNA")[-1]["text"]
    _, _, blocks = card_of(workspace)
    assert t._("Reopen") in [b["text"]["text"] for b in buttons(blocks)]
    assert len(workspace.fake.sent_to("CSUPPORT")) == 1  # one card, edited each time
    assert workspace.events("PLEK-1") == [
        "reported",
        "acknowledged",
        "waiting",
        "resumed",
        "resolved",
    ]


async def test_non_staff_press_is_refused_ephemerally_and_changes_nothing(
    workspace: Workspace,
) -> None:
    """Anna pressing a staff button sees a refusal only she sees; the incident is untouched."""
    await filed(workspace)
    channel, ts, blocks = card_of(workspace)
    await workspace.press("UANNA", channel, ts, card_button(blocks, translator("nl")._("Resolve")))
    await workspace.handled(6)
    await workspace.deliver()
    [refusal] = workspace.fake.ephemeral(channel, "UANNA")
    assert refusal["text"] == translator("nl")._("Only support staff can do this.")
    assert workspace.fake.to("views.open") == [workspace.fake.to("views.open")[0]]
    assert workspace.incident("PLEK-1").status == "open"
    assert workspace.events("PLEK-1") == ["reported"]


async def test_reminder_and_escalation_ping_arrive_in_the_channel_and_as_a_dm(
    workspace: Workspace,
) -> None:
    """A reminder goes to the support channel; the breach escalates to Lisa in a direct message."""
    await filed(workspace)
    workspace.later(hours=2)  # half of P1's 4 hours
    assert fire_all_due(workspace.engine, workspace.now) >= 1
    await workspace.deliver()
    reminder = workspace.fake.sent_to("CSUPPORT")[-1]
    check_blocks(reminder["blocks"])
    assert "PLEK-1" in reminder["text"] and "Overleg" in reminder["text"]
    workspace.later(hours=2, minutes=1)  # past the resolution deadline
    fire_all_due(workspace.engine, workspace.now)
    await workspace.deliver()
    [ping] = workspace.fake.sent_to("ULISA")
    check_blocks(ping["blocks"])
    assert "PLEK-1" in ping["text"] and "Teamleider Servicedesk" in ping["text"]
    assert workspace.incident("PLEK-1").escalation_level == 1


async def test_a_mention_redelivered_by_slack_is_handled_once(workspace: Workspace) -> None:
    """The same event_id twice (the second a retry): one first question, one stored event."""
    event = {
        "type": "app_mention",
        "user": "UANNA",
        "text": "<@UBOT> de site ligt eruit",
        "ts": "1.5",
        "channel": "CACME",
        "event_ts": "1.5",
    }
    assert (await workspace.event(event, event_id="Ev1"))[0] == 200
    assert (await workspace.event(event, event_id="Ev1", retry=1))[0] == 200
    await workspace.handled(2)
    await workspace.deliver()
    messages = workspace.fake.ephemeral("CACME", "UANNA")
    assert len(messages) == 2  # the introduction and the first question, once
    question = messages[-1]
    check_blocks(question["blocks"])
    with Session(workspace.engine) as session:
        seen = session.exec(select(InboundEvent).where(InboundEvent.platform == "slack")).all()
    assert [e.key for e in seen] == ["event:Ev1"]


async def test_a_mention_asks_the_first_question_and_its_press_opens_the_modal(
    workspace: Workspace,
) -> None:
    """An event has no trigger_id: the first answer's press opens the modal for the rest, and the
    mention's text becomes the description."""
    event = {
        "type": "app_mention",
        "user": "UANNA",
        "text": "<@UBOT> de site &amp; app liggen eruit",
        "ts": "1.5",
        "channel": "CACME",
    }
    await workspace.event(event, event_id="Ev2")
    await workspace.handled(1)
    await workspace.deliver()
    question = workspace.fake.ephemeral("CACME", "UANNA")[-1]
    choice = next(b for b in buttons(question["blocks"]) if b["value"] == "incident")
    await workspace.press("UANNA", "CACME", "1.6", choice, ephemeral=True)
    view = await workspace.opened()
    assert "Wat merken de gebruikers?" in texts(view["blocks"])
    assert [r.get("delete_original") for r in workspace.fake.responses] == [True]
    await workspace.choose("UANNA", view["id"], "partial")
    view = await workspace.updated(view["id"], view["hash"])
    assert "de site &amp; app liggen eruit" in texts(view["blocks"])  # the confirmation
    await workspace.submit("UANNA", view["id"])
    assert workspace.incident("PLEK-1").fields == {"description": "de site & app liggen eruit"}


async def test_report_as_incident_shortcut_prefills_the_description(workspace: Workspace) -> None:
    """The message shortcut opens the modal; the message's text is the description."""
    await workspace.shortcut("UANNA", "CACME", "Foutmelding 500 bij &lt;login&gt; van <@UBRAM>")
    view = await workspace.opened()
    await workspace.choose("UANNA", view["id"], "incident")
    view = await workspace.updated(view["id"], view["hash"])
    await workspace.choose("UANNA", view["id"], "degraded")
    view = await workspace.updated(view["id"], view["hash"])
    assert view["submit"]["text"] == translator("nl")._("File incident")
    await workspace.submit("UANNA", view["id"])
    incident = workspace.incident("PLEK-1")
    assert incident.fields == {"description": "Foutmelding 500 bij <login> van @UBRAM"}
    assert incident.priority == "P3"


async def test_closing_the_modal_drops_the_draft(workspace: Workspace) -> None:
    """Closing the modal half-way files nothing and leaves no draft behind."""
    await workspace.command("UANNA", "CACME")
    view = await workspace.opened()
    assert view["notify_on_close"] is True
    await workspace.close("UANNA", view["id"])
    await workspace.handled(2)
    with Session(workspace.engine) as session:
        assert session.exec(select(Draft)).all() == []


async def test_a_plek_user_question_is_forwarded_to_the_beheerder(workspace: Workspace) -> None:
    """Bram may not file under Plek: the modal asks his question and passes it to Anna."""
    await workspace.command("UBRAM", "CACME")
    view = await workspace.opened()
    assert view["blocks"][-1]["type"] == "input"
    final = await workspace.submit("UBRAM", view["id"], "Waar staat de handleiding?")
    assert "Anna de Vries" in texts(final["view"]["blocks"])
    await workspace.deliver()
    [forwarded] = workspace.fake.sent_to("UANNA")
    assert "Waar staat de handleiding?" in forwarded["text"] and "Bram Visser" in forwarded["text"]


async def test_priority_is_changed_in_a_modal_with_a_reason(workspace: Workspace) -> None:
    """Priority opens a modal with the allowed priorities; a choice asks the reason."""
    await filed(workspace)
    channel, ts, blocks = card_of(workspace)
    await workspace.press(
        "USUPPORT", channel, ts, card_button(blocks, translator("nl")._("Priority"))
    )
    view = await workspace.opened(2)
    p2 = next(b for b in buttons(view["blocks"]) if b["value"] == "PLEK-1 P2")
    await workspace.press_in_view("USUPPORT", view["id"], p2)
    view = await workspace.updated(view["id"], view["hash"])
    assert view["blocks"][-1]["type"] == "input"
    assert await workspace.submit("USUPPORT", view["id"], "Alleen de app") == {}
    await workspace.handled(8)
    await workspace.deliver()
    assert workspace.incident("PLEK-1").priority == "P2"
    assert "Alleen de app" in workspace.fake.sent_to("UANNA")[-1]["text"]


async def test_a_slow_answer_is_acknowledged_at_once_and_shown_when_ready(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When handling takes longer than Slack waits (here it waits on something, as on
    PostgreSQL or a slow users.info), the modal says "one moment" and is updated with the next
    question afterwards."""
    monkeypatch.setattr(adapter, "ACK_BUDGET", 0.0)
    handle = workspace.app.handle

    async def slow(*args: Any, **kwargs: Any) -> list[Reply]:
        await asyncio.sleep(0.01)
        return await handle(*args, **kwargs)

    monkeypatch.setattr(workspace.app, "handle", slow)
    await workspace.command("UANNA", "CACME")
    view = await workspace.opened()
    await workspace.choose("UANNA", view["id"], "incident")
    view = await workspace.updated(view["id"], view["hash"])
    await workspace.choose("UANNA", view["id"], "down")
    view = await workspace.updated(view["id"], view["hash"])
    answer = await workspace.submit("UANNA", view["id"], "Alles plat")
    assert translator("nl")._("One moment, please…") in texts(answer["view"]["blocks"])
    file_it = translator("nl")._("File incident")
    await until(lambda: workspace.fake.views[view["id"]].get("submit", {}).get("text") == file_it)


async def test_an_expired_trigger_asks_in_a_message_instead(workspace: Workspace) -> None:
    """If Slack refuses to open the modal, the question arrives as a message only Anna sees."""
    workspace.fake.fail("views.open", Failure(error="expired_trigger_id"))
    await workspace.command("UANNA", "CACME")
    await workspace.handled(1)
    await until(lambda: len(workspace.outbox()) >= 2)
    await workspace.deliver()
    question = workspace.fake.ephemeral("CACME", "UANNA")[-1]
    assert "incident" in [b.get("value") for b in buttons(question["blocks"])]


async def test_direct_messages_are_a_conversation_and_the_bots_own_are_ignored(
    workspace: Workspace,
) -> None:
    """A message in the app's DM gets an answer there; the bot's own messages get none."""
    dm = {"type": "message", "channel_type": "im", "channel": "DANNA", "user": "UANNA"}
    await workspace.event({**dm, "text": "hallo", "ts": "2.1"}, event_id="Ev3")
    await workspace.event({**dm, "text": "echo", "ts": "2.2", "bot_id": "BBOT"}, event_id="Ev4")
    await workspace.event(
        {**dm, "text": "x", "ts": "2.3", "subtype": "message_changed"}, event_id="Ev5"
    )
    await workspace.handled(1)
    await workspace.deliver()
    [answer] = workspace.fake.sent_to("DANNA")
    assert "/incident" in answer["text"]


def test_the_api_url_keeps_its_api_path() -> None:
    """SLACK_API_URL may be given with or without the trailing slash; Slack's is the default."""
    assert adapter.base_url_of("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api/"
    assert adapter.base_url_of(None) == "https://slack.com/api/"


async def test_a_rate_limited_modal_is_opened_after_retry_after(workspace: Workspace) -> None:
    """views.open answered 429 is tried again after Slack's Retry-After, not given up."""
    workspace.fake.fail("views.open", Failure(status=429, retry_after=0))
    await workspace.command("UANNA", "CACME")
    await workspace.opened()
    assert len(workspace.fake.to("views.open")) == 2


async def test_incident_in_the_apps_direct_messages_works_too(workspace: Workspace) -> None:
    """/incident in the DM with the app reports for the person's customer."""
    await workspace.command("UANNA", "DANNA")
    view = await workspace.opened()
    await workspace.choose("UANNA", view["id"], "complaint")
    view = await workspace.updated(view["id"], view["hash"])
    await workspace.submit("UANNA", view["id"], "Te traag geholpen")
    await workspace.submit("UANNA", view["id"])
    incident = workspace.incident("PLEK-1")
    assert (incident.customer_id, incident.origin_chat_id) == ("acme", "DANNA")


async def test_a_failing_handler_answers_the_modal_with_an_apology(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If handling breaks, the modal says so in the person's language and nothing is filed."""
    await workspace.command("UANNA", "CACME")
    view = await workspace.opened()
    await workspace.choose("UANNA", view["id"], "complaint")
    view = await workspace.updated(view["id"], view["hash"])

    def broken(*args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.inbox, "dispatch", broken)
    answer = await workspace.submit("UANNA", view["id"], "Te traag")
    sorry = translator("nl")._(
        "Sorry, something went wrong and nothing was changed. Please try again."
    )
    assert sorry in texts(answer["view"]["blocks"])
    assert "submit" not in answer["view"]


async def test_a_typed_answer_asked_in_a_message_opens_a_modal_from_its_answer_button(
    workspace: Workspace,
) -> None:
    """Bram mentions the app: the question for his contact persons comes as a message with an
    Answer button, which opens the question as a modal; his answer reaches Anna."""
    event = {"type": "app_mention", "user": "UBRAM", "text": "<@UBOT>", "channel": "CACME"}
    await workspace.event(event, event_id="Ev6")
    await workspace.handled(1)
    await workspace.deliver()
    [asked] = workspace.fake.ephemeral("CACME", "UBRAM")
    check_blocks(asked["blocks"])
    [answer] = buttons(asked["blocks"])
    assert answer["text"]["text"] == translator("nl")._("Answer")
    await workspace.press("UBRAM", "CACME", "1.7", answer, ephemeral=True)
    view = await workspace.opened()
    assert view["blocks"][-1]["type"] == "input"
    await workspace.submit("UBRAM", view["id"], "Hoe reset ik mijn wachtwoord?")
    await workspace.deliver()
    [forwarded] = workspace.fake.sent_to("UANNA")
    assert "Hoe reset ik mijn wachtwoord?" in forwarded["text"]


def test_slabot_text_is_a_command_name_and_its_arguments() -> None:
    """/slabot's text: the first word names the command; nothing at all asks for help."""
    assert adapter.split_command("escalate PLEK-42  te traag ") == ("escalate", "PLEK-42  te traag")
    assert adapter.split_command("/Status") == ("status", "")
    assert adapter.split_command("   ") == ("help", "")


async def test_slabot_status_and_help_are_shown_only_to_the_person(workspace: Workspace) -> None:
    """/slabot status lists Acme's open incidents in a message only Anna sees; /slabot alone is
    the help, naming the commands the way they are typed in Slack."""
    await filed(workspace)
    assert await workspace.command("UANNA", "CACME", "status", command="/slabot") == 200
    await workspace.handled(6)
    await workspace.deliver()
    [status] = workspace.fake.ephemeral("CACME", "UANNA")
    check_blocks(status["blocks"])
    assert "PLEK-1" in status["text"]
    await workspace.command("UANNA", "CACME", command="/slabot")
    await workspace.handled(7)
    await workspace.deliver()
    shown = workspace.fake.ephemeral("CACME", "UANNA")[-1]["text"]
    assert "/slabot status" in shown and "/slabot escalate PLEK-42" in shown
    assert "/slabot cancel" in shown and "/incident" in shown
    assert "/slabot incident" not in shown
    assert not re.search(r"(^|\s)/(status|escalate|cancel)", shown, re.MULTILINE)
    assert len(workspace.fake.opened) == 1  # only the report's modal: nothing asked back


async def test_contact_escalates_with_slabot_and_the_level_is_pinged(workspace: Workspace) -> None:
    """/slabot escalate PLEK-1 with a reason raises the level; Lisa gets the ping."""
    await filed(workspace)
    await workspace.command(
        "UANNA", "CACME", "escalate PLEK-1 Het duurt te lang", command="/slabot"
    )
    await workspace.handled(6)
    await workspace.deliver()
    assert workspace.incident("PLEK-1").escalation_level == 1
    [ping] = workspace.fake.sent_to("ULISA")
    assert "PLEK-1" in ping["text"]
    [done] = workspace.fake.ephemeral("CACME", "UANNA")
    assert "PLEK-1" in done["text"]


async def test_staff_work_an_incident_with_slabot_commands(workspace: Workspace) -> None:
    """/slabot ack PLEK-1 acknowledges (the card is edited in place); /slabot resolve PLEK-1
    without a note asks for it in a modal named after the incident."""
    await filed(workspace)
    await workspace.command("USUPPORT", "CSUPPORT", "ack plek-1", command="/slabot")
    await workspace.handled(6)
    await workspace.deliver()
    assert workspace.incident("PLEK-1").status == "acknowledged"
    [update] = workspace.fake.to("chat.update")
    assert update["channel"] == "CSUPPORT"
    await workspace.command("USUPPORT", "CSUPPORT", "resolve PLEK-1", command="/slabot")
    view = await workspace.opened(2)
    assert view["title"]["text"] == translator("en")._("Incident {ref}", ref="PLEK-1")
    assert view["blocks"][-1]["type"] == "input"
    assert await workspace.submit("USUPPORT", view["id"], "Certificaat vernieuwd") == {}
    await workspace.handled(8)
    incident = workspace.incident("PLEK-1")
    assert incident.status == "resolved" and incident.resolution_note == "Certificaat vernieuwd"


async def test_slabot_incident_opens_the_modal_and_slabot_cancel_drops_it(
    workspace: Workspace,
) -> None:
    """/slabot incident works like /incident; /slabot cancel drops the half-answered report."""
    await workspace.command("UANNA", "CACME", "incident De site ligt plat", command="/slabot")
    view = await workspace.opened()
    assert view["title"]["text"] == translator("nl")._("Report incident")
    with Session(workspace.engine) as session:
        assert len(session.exec(select(Draft)).all()) == 1
    await workspace.command("UANNA", "CACME", "cancel", command="/slabot")
    await workspace.handled(2)
    await workspace.deliver()
    with Session(workspace.engine) as session:
        assert session.exec(select(Draft)).all() == []
    assert workspace.fake.ephemeral("CACME", "UANNA")  # told that it stopped


async def test_a_reporter_who_cannot_be_reached_is_reported_and_forgotten_when_back(
    workspace: Workspace,
) -> None:
    """Anna's account is deactivated: the news about PLEK-1 is parked and the support channel is
    told, with the message; when she uses the app again, the record is dropped."""
    await filed(workspace)
    workspace.fake.inactive.add("UANNA")
    channel, ts, blocks = card_of(workspace)
    await workspace.press(
        "USUPPORT", channel, ts, card_button(blocks, translator("nl")._("Acknowledge"))
    )
    await workspace.handled(6)
    await workspace.deliver()
    notice = workspace.fake.sent_to("CSUPPORT")[-1]
    assert "Anna de Vries" in notice["text"] and "Slack" in notice["text"]
    assert "PLEK-1" in notice["text"]
    assert [r.status for r in workspace.outbox() if r.chat_id == "UANNA"][-1] == "parked"
    with Session(workspace.engine) as session:
        assert session.get(UnreachableChat, ("slack", "UANNA")) is not None
    workspace.fake.inactive.discard("UANNA")
    await workspace.command("UANNA", "CACME", "status", command="/slabot")
    await workspace.handled(7)
    with Session(workspace.engine) as session:
        assert session.get(UnreachableChat, ("slack", "UANNA")) is None
