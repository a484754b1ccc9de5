"""The pieces ``slabot sla explain`` and ``calendar`` are made of."""

from __future__ import annotations

import pytest

from sla.clock import clock_for
from sla.explain import holiday_language, office_hours_summary, target_text
from sla.i18n import translator
from sla.policy import builtin_policy

DASH = "\u2013"


@pytest.mark.parametrize(
    ("policy", "key", "target", "expected"),
    [
        ("plek", "P1", "resolution", "4 uur kantoortijd"),
        ("plek", "P2", "resolution", "3 werkdagen"),
        ("plek", "complaint", "response", "1 werkdag"),
        ("pluvo", "P1", "resolution", "24 uur, de klok loopt altijd"),
        ("plek", "P3", "resolution", "geen termijn"),
        ("perplex", "Prio4", "response", "uiterlijk bij sluiting van de volgende werkdag"),
    ],
)
def test_target_text_says_what_a_rule_allows(
    policy: str, key: str, target: str, expected: str
) -> None:
    """Each kind of target reads as the contract would say it, here in Dutch."""
    clock = clock_for(builtin_policy(policy))
    response, resolution = clock.rules(clock.policy.kind(key), inside_office_hours=True)
    rule = response if target == "response" else resolution
    assert target_text(translator("nl"), rule) == expected


def test_office_hours_summary_joins_equal_weekdays() -> None:
    """Monday to Friday with the same hours is one run; closed days are left out."""
    plek = builtin_policy("plek")
    assert office_hours_summary(translator("nl"), plek) == f"ma{DASH}vr 08:30{DASH}18:00"
    assert office_hours_summary(translator("de"), plek) == f"Mo.{DASH}Fr. 08:30{DASH}18:00"


@pytest.mark.parametrize(("lang", "expected"), [("nl", "nl"), ("en", "en_US"), ("de", "en_US")])
def test_holiday_names_fall_back_to_english(lang: str, expected: str) -> None:
    """Dutch holidays are named in Dutch or English; German readers get the English names."""
    assert holiday_language("NL", lang) == expected
