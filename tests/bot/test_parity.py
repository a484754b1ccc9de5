"""Slack and Telegram lead to the same record: one scenario on both, compared field by field."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app import BotApp
from sla.db import make_engine
from sla.i18n import translator
from sla.models import Contact, Incident, IncidentEvent, Staff
from tests.bot.slack.conftest import PEOPLE, START, Workspace, buttons, running_workspace
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.telegram.conftest import (
    ANNA,
    SAM,
    SUPPORT_GROUP,
    T0,
    Clock,
    Telegram,
    until,
)
from tests.bot.telegram.conftest import load_directory as load_telegram_directory
from tests.bot.telegram.fake_bot_api import FakeBotApi, Sent

NL = translator("nl")
DESCRIPTION = "Niemand kan inloggen & <de app> hangt"
# Minutes after the report at which support acts, on both platforms.
ACK, WAIT, RESUME, RESOLVE = 10, 20, 50, 80


@pytest.fixture
async def slack_side(sqlite_engine: Engine) -> AsyncIterator[Workspace]:
    """The Slack bot on the test's database, with its fake Web API."""
    fake = FakeSlack(users=dict(PEOPLE))
    await fake.start()
    async with running_workspace(sqlite_engine, fake) as workspace:
        yield workspace
    await fake.stop()


@pytest.fixture
async def telegram_side(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Telegram]:
    """The Telegram bot on a database of its own, polling its fake Bot API."""
    path = tmp_path / "telegram" / "slabot.sqlite3"
    path.parent.mkdir()
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    load_telegram_directory(engine)
    api = FakeBotApi()
    await api.serve()
    clock = Clock(T0)
    app = BotApp(engine, clock=clock)
    monkeypatch.setattr(app.timers, "start", lambda: None)  # no timers in this scenario
    await app.start()
    harness = Telegram(engine, api, app, clock)
    await harness.start()
    yield harness
    await harness.stop()
    await app.stop()
    await api.close()
    engine.dispose()


async def on_slack(slack: Workspace) -> None:
    """Anna reports a P1 in the customer channel; Sam works the card until it is resolved."""
    await slack.command("UANNA", "CACME")
    view = await slack.opened()
    await slack.choose("UANNA", view["id"], "incident")
    view = await slack.updated(view["id"], view["hash"])
    await slack.choose("UANNA", view["id"], "down")
    view = await slack.updated(view["id"], view["hash"])
    await slack.submit("UANNA", view["id"], DESCRIPTION)
    await slack.submit("UANNA", view["id"])
    await slack.deliver()

    def card() -> tuple[str, str, list[dict[str, Any]]]:
        [(channel, ts)] = [key for key in slack.fake.messages if key[0] == "CSUPPORT"]
        return channel, ts, slack.fake.messages[(channel, ts)]["blocks"]

    async def press(label: str, note: str | None = None) -> None:
        channel, ts, blocks = card()
        element = next(b for b in buttons(blocks) if b["text"]["text"] == label)
        opened = len(slack.fake.opened)
        before = slack.service.adapter.completed
        await slack.press("USUPPORT", channel, ts, element)
        if note is not None:
            view = await slack.opened(opened + 1)
            await slack.submit("USUPPORT", view["id"], note)
        await until(lambda: slack.service.adapter.completed > before, "the press handled")
        await slack.service.adapter.settle()
        await slack.deliver()

    slack.now = START + timedelta(minutes=ACK)
    await press(NL._("Acknowledge"))
    slack.now = START + timedelta(minutes=WAIT)
    await press(NL._("Wait on customer"), "Welke browser?")
    slack.now = START + timedelta(minutes=RESUME)
    await press(NL._("Resume"))
    slack.now = START + timedelta(minutes=RESOLVE)
    await press(NL._("Resolve"), "Certificaat vernieuwd")


async def on_telegram(telegram: Telegram) -> None:
    """The same on Telegram: Anna in her private chat, Sam in the support group."""
    clock: Clock = telegram.clock

    async def question(chat_id: int, after: int) -> Sent:
        return await until(
            lambda: next(
                (m for m in telegram.api.messages(chat_id) if m.message_id > after and m.buttons()),
                None,
            ),
            f"a question in {chat_id}",
        )

    start = telegram.last_id()
    telegram.api.say(ANNA, "/incident")
    first = await question(ANNA.id, start)
    telegram.api.press(ANNA, first, first.buttons()[0][0])  # a disruption
    second = await question(ANNA.id, first.message_id)
    telegram.api.press(ANNA, second, second.buttons()[0][0])  # not available at all
    field = await telegram.message(ANNA.id, after=second.message_id)
    telegram.api.say(ANNA, DESCRIPTION, reply_to=field)
    confirm = await question(ANNA.id, field.message_id)
    telegram.api.press(ANNA, confirm, NL._("File incident"))
    card = await telegram.message(SUPPORT_GROUP, "PLEK-1")

    async def press(label: str, minutes: int, kind: str, note: str | None = None) -> None:
        clock.now = T0 + timedelta(minutes=minutes)
        before = telegram.last_id()
        update = telegram.api.press(SAM, card, label)
        if note is not None:
            ask = await telegram.message(SUPPORT_GROUP, "PLEK-1", after=before)
            update = telegram.api.say(SAM, note, chat_id=SUPPORT_GROUP, reply_to=ask)
        await telegram.handled(update)
        await until(lambda: telegram.events("PLEK-1")[-1] == kind, f"PLEK-1 {kind}")

    await press(NL._("Acknowledge"), ACK, "acknowledged")
    await press(NL._("Wait on customer"), WAIT, "waiting", "Welke browser?")
    await press(NL._("Resume"), RESUME, "resumed")
    await press(NL._("Resolve"), RESOLVE, "resolved", "Certificaat vernieuwd")


INCIDENT_FIELDS = (
    "ref",
    "customer_id",
    "request_type",
    "proposed_priority",
    "priority",
    "answers",
    "fields",
    "status",
    "language",
    "escalation_level",
    "reported_at",
    "acknowledged_at",
    "root_cause_at",
    "resolved_at",
    "closed_at",
    "paused_since",
    "response_due",
    "resolution_due",
    "resolution_note",
)


def record(engine: Engine) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The incident (without platform ids) and its audit trail, people named by handle."""
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
        reporter = session.get(Contact, incident.reporter_id)
        assignee = session.get(Staff, incident.assignee_id) if incident.assignee_id else None
        fields = {name: getattr(incident, name) for name in INCIDENT_FIELDS}
        fields["reporter"] = reporter.handle if reporter else None
        fields["assignee"] = assignee.handle if assignee else None
        events = session.exec(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident.id)
            .order_by(col(IncidentEvent.id))
        ).all()
        trail = [(e.kind, e.at, e.actor_kind, e.actor_name, e.reason, e.data) for e in events]
    return fields, trail


async def test_one_report_gives_the_same_record_on_slack_and_telegram(
    slack_side: Workspace, telegram_side: Telegram
) -> None:
    """Reported, acknowledged, paused, resumed and resolved at the same moments on both
    platforms: the same incident, deadlines and audit trail, to the second."""
    assert START == T0
    await on_slack(slack_side)
    await on_telegram(telegram_side)
    slack_incident, slack_trail = record(slack_side.engine)
    telegram_incident, telegram_trail = record(telegram_side.engine)
    assert slack_incident == telegram_incident
    assert slack_trail == telegram_trail
    assert slack_incident["status"] == "resolved"
    assert slack_incident["fields"] == {"description": DESCRIPTION}
    assert [event[0] for event in slack_trail] == [
        "reported",
        "acknowledged",
        "waiting",
        "resumed",
        "resolved",
    ]
    assert slack_trail[-1][1] == T0 + timedelta(minutes=RESOLVE)
    assert isinstance(slack_incident["reported_at"], datetime)
    with Session(slack_side.engine) as session:
        origin = session.exec(select(Incident)).one()
    assert (origin.origin_platform, origin.origin_chat_id) == ("slack", "CACME")
