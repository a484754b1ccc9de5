"""Telegram's words for a chat the bot cannot reach (the rest: tests/bot/test_unreachable.py)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.telegram._unreachable import WORDING
from bot.unreachable import mark_unreachable
from handlers.types import ChatRef
from sla.db import session_scope
from sla.i18n import translator
from sla.models import UnreachableChat
from tests.bot.telegram.conftest import T0, load_directory


def _mark(engine: Engine, chat: ChatRef) -> list[tuple[str, str, str]]:
    with session_scope(engine) as session:
        replies = mark_unreachable(
            session, chat, "Forbidden", T0, undelivered="Bericht", wording=WORDING
        )
    return [(r.chat.id if r.chat else "", r.lang, r.text) for r in replies]


def test_a_contact_is_reported_to_their_customers_support_chat(sqlite_engine: Engine) -> None:
    """Anna (Acme, Dutch) blocked the bot: Acme's support chat hears it in Dutch."""
    load_directory(sqlite_engine)
    [(chat, lang, text)] = _mark(sqlite_engine, ChatRef("telegram", "1001"))
    assert (chat, lang) == ("-2001", "nl")
    head = translator("nl")._(
        "{name} cannot be reached on Telegram: they blocked the bot or never started a "
        "private chat with it. This message did not reach them:",
        name="Anna de Vries",
    )
    assert text == f"{head}\n\nBericht"
    with Session(sqlite_engine) as session:
        assert session.get(UnreachableChat, ("telegram", "1001")) is not None


def test_a_customer_group_that_removed_the_bot(sqlite_engine: Engine) -> None:
    """A customer's group is named by its customer."""
    load_directory(sqlite_engine)
    [(chat, _, text)] = _mark(sqlite_engine, ChatRef("telegram", "-1001", private=False))
    assert chat == "-2001" and "Acme Media BV" in text and "Telegram" in text
