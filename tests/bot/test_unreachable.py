"""Chats the bot cannot reach, on any platform: who is told, in which language, in whose words,
and when it is forgotten."""

from __future__ import annotations

from datetime import timedelta

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack.transport import WORDING as SLACK
from bot.telegram._unreachable import WORDING as TELEGRAM
from bot.unreachable import Wording, mark_reachable, mark_unreachable, report_unreachable
from handlers.types import ChatRef
from sla.db import session_scope
from sla.directory_file import import_directory, parse_directory
from sla.i18n import translator
from sla.models import OutboxMessage, UnreachableChat
from tests.bot.slack.conftest import START as T0

DIRECTORY = """
customers:
  - id: acme
    name: Acme Media BV
    policy: plek
    language: nl
    contacts:
      - {handle: anna, name: Anna de Vries, roles: [beheerder], telegram: "1001", slack: UANNA}
    chats:
      - {platform: slack, chat_id: CACME}
      - {platform: telegram, chat_id: "-1001"}
  - id: stadtwerke
    name: Stadtwerke Nordheim
    policy: pluvo
    language: de
    contacts:
      - {handle: karl, name: Karl Berg, roles: [kontaktperson], slack: UKARL}
staff:
  - {handle: sam, name: Sam Support, roles: [support], language: en, slack: USAM}
  - {handle: lisa, name: Lisa Lead, roles: [lead], language: nl, slack: ULISA}
support_chats:
  - {platform: slack, chat_id: CSUPPORT}
  - {platform: telegram, chat_id: "-2001"}
  - {platform: slack, chat_id: CSTADTWERKE, customer: stadtwerke}
"""


def load(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_directory(session, parse_directory(yaml.safe_load(DIRECTORY)))


def mark(
    engine: Engine, chat: ChatRef, wording: Wording = SLACK
) -> list[tuple[str, str, str, str]]:
    with session_scope(engine) as session:
        replies = mark_unreachable(
            session, chat, "account_inactive", T0, undelivered="Bericht", wording=wording
        )
    return [(r.chat.platform, r.chat.id, r.lang, r.text) for r in replies if r.chat]


def slack_person(lang: str, name: str) -> str:
    return translator(lang)._(
        "{name} cannot be reached on Slack: their account was deactivated or the app may not "
        "write to them. This message did not reach them:",
        name=name,
    )


def test_a_contact_is_reported_to_the_support_chats_of_their_customer(
    sqlite_engine: Engine,
) -> None:
    """Anna (Acme, Dutch) on Slack: every support chat that sees Acme hears it in Dutch, on
    Slack and on Telegram alike, with the message she missed."""
    load(sqlite_engine)
    told = mark(sqlite_engine, ChatRef("slack", "UANNA"))
    head = slack_person("nl", "Anna de Vries")
    assert told == [
        ("slack", "CSUPPORT", "nl", f"{head}\n\nBericht"),
        ("telegram", "-2001", "nl", f"{head}\n\nBericht"),
    ]
    with Session(sqlite_engine) as session:
        record = session.get(UnreachableChat, ("slack", "UANNA"))
    assert record is not None and record.reason == "account_inactive"


def test_the_customers_language_and_its_own_support_chat(sqlite_engine: Engine) -> None:
    """Karl's customer speaks German and has a support channel of its own besides the shared."""
    load(sqlite_engine)
    told = mark(sqlite_engine, ChatRef("slack", "UKARL"))
    assert [(chat, lang) for _, chat, lang, _ in told] == [
        ("CSUPPORT", "de"),
        ("-2001", "de"),
        ("CSTADTWERKE", "de"),
    ]
    assert told[0][3].startswith(slack_person("de", "Karl Berg"))


def test_staff_are_reported_to_every_support_chat_in_their_language(
    sqlite_engine: Engine,
) -> None:
    """Lisa missing an escalation ping is news for all of support, in her language."""
    load(sqlite_engine)
    told = mark(sqlite_engine, ChatRef("slack", "ULISA"))
    assert {chat for _, chat, _, _ in told} == {"CSUPPORT", "-2001", "CSTADTWERKE"}
    assert {lang for _, _, lang, _ in told} == {"nl"}
    assert all("Lisa Lead" in text for _, _, _, text in told)


def test_a_customer_channel_is_named_by_its_customer_in_the_platforms_words(
    sqlite_engine: Engine,
) -> None:
    """A channel or group the bot lost is named by its customer; each platform says it its way."""
    load(sqlite_engine)
    [(_, _, _, slack), *_] = mark(sqlite_engine, ChatRef("slack", "CACME", private=False))
    [(_, _, _, telegram), *_] = mark(
        sqlite_engine, ChatRef("telegram", "-1001", private=False), TELEGRAM
    )
    t = translator("nl")
    assert slack.startswith(SLACK.group(t, "Acme Media BV")) and "Slack" in slack
    assert telegram.startswith(TELEGRAM.group(t, "Acme Media BV")) and "Telegram" in telegram


def test_an_unreachable_support_chat_is_only_recorded(sqlite_engine: Engine) -> None:
    """Telling the support chat that it cannot be reached would fail the same way; the other
    support chats are not told either (it is a matter for whoever runs the bot: the log)."""
    load(sqlite_engine)
    assert mark(sqlite_engine, ChatRef("slack", "CSUPPORT", private=False)) == []
    with Session(sqlite_engine) as session:
        assert session.get(UnreachableChat, ("slack", "CSUPPORT")) is not None


def test_a_second_failure_keeps_the_first_moment_and_the_latest_reason(
    sqlite_engine: Engine,
) -> None:
    """The record says since when the chat is unreachable, and the latest reason."""
    load(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        mark_unreachable(
            session, ChatRef("slack", "UANNA"), "a", T0, undelivered="x", wording=SLACK
        )
    with session_scope(sqlite_engine) as session:
        later = T0 + timedelta(hours=1)
        mark_unreachable(
            session, ChatRef("slack", "UANNA"), "b" * 300, later, undelivered="y", wording=SLACK
        )
    with Session(sqlite_engine) as session:
        record = session.get(UnreachableChat, ("slack", "UANNA"))
    assert record is not None
    assert record.since.replace(tzinfo=T0.tzinfo) == T0 and record.reason == "b" * 200


def test_report_queues_the_notices_with_the_record(sqlite_engine: Engine) -> None:
    """In one transaction: the record, and the notices as outbox messages."""
    load(sqlite_engine)
    chat = ChatRef("slack", "UANNA")
    assert report_unreachable(sqlite_engine, chat, "gone", T0, undelivered="PLEK-1", wording=SLACK)
    with Session(sqlite_engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert session.get(UnreachableChat, ("slack", "UANNA")) is not None
    assert [(r.platform, r.chat_id) for r in rows] == [("slack", "CSUPPORT"), ("telegram", "-2001")]
    assert all(r.payload["text"].endswith("PLEK-1") for r in rows)
    support = ChatRef("slack", "CSUPPORT", private=False)
    assert not report_unreachable(
        sqlite_engine, support, "gone", T0, undelivered="x", wording=SLACK
    )


def test_writing_again_makes_a_chat_reachable(sqlite_engine: Engine) -> None:
    """The record is dropped when the person shows up again; only once."""
    load(sqlite_engine)
    mark(sqlite_engine, ChatRef("slack", "UANNA"))
    with session_scope(sqlite_engine) as session:
        assert mark_reachable(session, "slack", "UANNA")
        assert not mark_reachable(session, "slack", "UANNA")
