"""The command menu: the same commands in every language, described in that language."""

from __future__ import annotations

from bot.telegram import command_menu
from sla.i18n import LANGUAGES


def test_the_menu_lists_the_issue_commands_in_each_language() -> None:
    """/incident, /status, /escalate, /cancel, /help and /start, described per language."""
    menus = {lang: command_menu(lang) for lang in LANGUAGES}
    for menu in menus.values():
        assert sorted(c.command for c in menu) == sorted(
            ["start", "incident", "status", "escalate", "cancel", "help"]
        )
        assert all(1 <= len(c.description) <= 256 for c in menu)
    descriptions = {lang: [c.description for c in menu] for lang, menu in menus.items()}
    assert descriptions["nl"] != descriptions["en"] != descriptions["de"]
