"""How a card names an incident's priority."""

from __future__ import annotations

import pytest

from handlers.cards import priority_label
from sla.i18n import translator
from sla.policy import builtin_policy


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
    assert priority_label(translator(lang), builtin_policy(policy), priority) == shown
