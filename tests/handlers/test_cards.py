"""The incident card: how it names a priority, and in which language a support chat reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.timers import fire_all_due
from sla.db import session_scope
from sla.i18n import translator
from sla.models import ChatBinding, OutboxMessage
from sla.policy import builtin_policy
from sla.report_words import kind_name
from tests.chat import ChatDriver


@pytest.mark.parametrize(
    ("policy", "priority", "lang", "shown"),
    [
        ("plek", "P1", "nl", "P1 · Prioriteit 1"),
        ("pluvo", "P1", "de", "P1"),  # not "P1 · P1"
        ("perplex", "Prio1", "nl", "Prio1"),
        ("infravision", "Top", "en", "Top (1)"),  # not "Top · Top (1)"
        ("infravision", "High", "nl", "High · Hoog (2)"),
    ],
)
def test_the_id_is_said_once(policy: str, priority: str, lang: str, shown: str) -> None:
    assert kind_name(translator(lang), builtin_policy(policy), priority) == shown


def test_a_support_chat_with_a_language_reads_the_card_in_it(chat: ChatDriver) -> None:
    """The demo's support chat set to English: a Pluvo (German) card and its reminder read in
    English there; the reporter still reads German."""
    with session_scope(chat.engine) as session:
        binding = session.get(ChatBinding, ("console", "support"))
        assert binding is not None
        binding.language = "en"
    replies = chat.report("karl", "1", "1", "Beschreibung", "Untersucht", "P1", "ja")
    [card] = [r for r in replies if "card" in r.tags]
    assert (card.text, card.lang) == ("New incident PLUVO-1", "en")
    assert dict(card.facts)["Status"] == "open"
    [confirmation] = [r for r in replies if "filed" in r.tags]
    assert confirmation.lang == "de"
    fire_all_due(chat.engine, chat.now + timedelta(hours=12))
    with Session(chat.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "support")).all()
    assert rows and all(row.payload["lang"] == "en" for row in rows)
