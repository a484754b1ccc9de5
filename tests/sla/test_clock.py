"""SlaClock: the shape of its results and the agreement of its fast and general paths."""

from __future__ import annotations

import dataclasses
import pickle
import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sla.clock import Deadline, Deadlines, clock_for
from sla.policy import builtin_policy

AMS = ZoneInfo("Europe/Amsterdam")
PLEK = clock_for(builtin_policy("plek"))
PERPLEX = clock_for(builtin_policy("perplex"))
INFRAVISION = clock_for(builtin_policy("infravision"))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def test_results_are_ordinary_frozen_dataclasses() -> None:
    """Deadlines equal, hash and refuse assignment like ones built by their constructors."""
    result = PLEK.deadlines("P1", reported_at=at(2026, 11, 24, 10))
    response, resolution = result.response, result.resolution
    rebuilt = Deadlines(
        "plek",
        "P1",
        at(2026, 11, 24, 10),
        True,
        Deadline("response", response.rule, at(2026, 11, 24, 10), None),
        Deadline("resolution", resolution.rule, at(2026, 11, 24, 10), at(2026, 11, 24, 14)),
    )
    assert result == rebuilt
    assert type(result) is Deadlines and type(result.response) is Deadline
    assert pickle.loads(pickle.dumps(result)) == result
    assert hash(result) == hash(rebuilt)
    assert repr(result) == repr(rebuilt)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.response.due = None  # type: ignore[misc]
    assert dataclasses.replace(result, kind="P2").kind == "P2"
    assert dataclasses.asdict(result)["resolution"]["due"] == at(2026, 11, 24, 14)


def test_the_same_instant_in_any_zone_gives_the_same_deadlines() -> None:
    """A report given in UTC, Amsterdam or +05:00 time is the same report."""
    moment = at(2026, 11, 24, 16)
    results = {
        PLEK.deadlines("P1", reported_at=moment.astimezone(zone))
        for zone in (UTC, AMS, timezone(timedelta(hours=5)))
    }
    assert len(results) == 1
    (result,) = results
    assert result.reported_at.tzinfo == AMS
    assert result.resolution.due == at(2026, 11, 25, 10, 30)


def test_priority_keys_forgive_case_and_dashes() -> None:
    """'p1' is P1; an unknown key names the known ones."""
    assert PLEK.deadlines("p1", reported_at=at(2026, 11, 24, 10)).kind == "P1"
    with pytest.raises(KeyError, match="P1, P2"):
        PLEK.deadlines("P9", reported_at=at(2026, 11, 24, 10))


@pytest.mark.parametrize("field", ["reported_at", "root_cause_at", "paused"])
def test_times_without_a_zone_are_refused(field: str) -> None:
    """A naive report, root cause or pause time is refused rather than read as server time."""
    naive = datetime(2026, 11, 24, 10)
    aware = at(2026, 11, 24, 10)
    arguments = {
        "reported_at": naive if field == "reported_at" else aware,
        "root_cause_at": naive if field == "root_cause_at" else aware,
        "paused": [(naive, naive + timedelta(hours=1))] if field == "paused" else [],
    }
    with pytest.raises(ValueError, match="zone"):
        INFRAVISION.deadlines("Top", **arguments)  # type: ignore[arg-type]


def test_next_workday_close_agrees_with_the_general_path() -> None:
    """Perplex Prio4 is due at the close of the next workday, with or without a past pause."""
    reported = at(2026, 11, 24, 20)  # first office day Wednesday: due Thursday 17:00
    plain = PERPLEX.deadlines("Prio4", reported_at=reported)
    long_ago = [(at(2026, 11, 1), at(2026, 11, 2))]
    general = PERPLEX.deadlines("Prio4", reported_at=reported, paused=long_ago)
    assert plain.response.due == general.response.due == at(2026, 11, 26, 17)
    paused = PERPLEX.deadlines(
        "Prio4", reported_at=reported, paused=[(at(2026, 11, 25, 9), at(2026, 11, 25, 10))]
    )
    assert paused.response.due == at(2026, 11, 27, 10)


def test_a_clock_from_the_root_cause_waits_for_it() -> None:
    """Infravision Top: no resolution start until the root cause; then four office hours."""
    reported = at(2026, 11, 24, 16)
    waiting = INFRAVISION.deadlines("Top", reported_at=reported)
    assert waiting.resolution.started_at is None and waiting.resolution.due is None
    assert waiting.response.due == at(2026, 11, 24, 17)
    known = INFRAVISION.deadlines(
        "Top", reported_at=reported, root_cause_at=datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    )
    assert known.resolution.started_at == at(2026, 11, 24, 17, 30)
    assert known.resolution.due == at(2026, 11, 25, 12, 30)


def test_pauses_push_both_clocks() -> None:
    """A pause over Tuesday 15:00-17:00 moves Plek P1 (4 office hours from 14:00) by two hours."""
    result = PLEK.deadlines(
        "P1",
        reported_at=at(2026, 11, 24, 14),
        paused=[(at(2026, 11, 24, 15), at(2026, 11, 24, 17))],
    )
    assert result.resolution.due == at(2026, 11, 25, 10, 30)


@pytest.mark.parametrize("policy_id", ["plek", "pluvo", "klik", "perplex", "infravision"])
def test_remembered_deadlines_agree_with_the_general_path(policy_id: str) -> None:
    """Deadlines from a warm clock (remembered local times) equal those of the pause path.

    A clock started while the office is closed takes its deadline from the clock's memo; a
    pause long before the report sends the same report through ``due_ts`` instead.
    """
    clock = clock_for(builtin_policy(policy_id))
    rng = random.Random(policy_id)
    long_ago = [(at(2024, 1, 1), at(2024, 1, 2))]
    for _ in range(400):
        reported = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(63_000_000))
        root = reported + timedelta(seconds=rng.choice([0, rng.randrange(3 * 86400)]))
        for key in clock.policy.kinds:
            plain = [clock.deadlines(key, reported_at=reported, root_cause_at=root) for _ in "ab"]
            general = clock.deadlines(
                key, reported_at=reported, root_cause_at=root, paused=long_ago
            )
            assert plain[0] == plain[1] == general
            for mine, theirs in zip(
                (plain[1].response, plain[1].resolution),
                (general.response, general.resolution),
                strict=True,
            ):
                assert str(mine.due) == str(theirs.due) and str(mine.started_at) == str(
                    theirs.started_at
                )
