"""Infravision / IV Integratiedienst (seed 004): each rule of sla-seeds.md, hand-computed.

Calendar: Mon-Fri 08:30-17:30 Europe/Amsterdam, NL holidays; a workday is 9 office hours. All
targets run on the office clock; the resolution clock starts when the root cause is known.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sla.clock import Deadlines, Pause, clock_for
from sla.policy import builtin_policy

AMS = ZoneInfo("Europe/Amsterdam")
POLICY = builtin_policy("infravision")
DOC = POLICY.doc
CLOCK = clock_for(POLICY)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def deadlines(
    key: str,
    reported: datetime,
    root_cause: datetime | None = None,
    paused: list[Pause] | None = None,
) -> Deadlines:
    return CLOCK.deadlines(key, reported_at=reported, root_cause_at=root_cause, paused=paused or [])


def outcome(*answers: str) -> tuple[str | None, str | None]:
    """(request type, priority) at the end of the questionnaire for these answer ids."""
    tree = DOC.questionnaire
    qid = tree.start
    for answer_id in answers:
        answer = next(a for a in tree.questions[qid].answers if a.id == answer_id)
        if answer.next is None:
            return answer.request_type, answer.priority
        qid = answer.next
    raise AssertionError(f"answers {answers} do not end the questionnaire")


# -- calendar (2.1, 3.1) --------------------------------------------------------------------------


def test_support_hours_are_half_past_eight_to_half_past_five() -> None:
    """08:30 is inside support hours, 17:30 outside; a workday is 9 hours."""
    cal = CLOCK.calendar
    assert cal.is_open(at(2026, 3, 10, 8, 30))
    assert not cal.is_open(at(2026, 3, 10, 17, 30))
    assert cal.workday_seconds == 9 * 3600


# -- request types (2.2) --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["information", "change"])
def test_information_and_change_requests_have_no_deadlines(key: str) -> None:
    """Requests for information and for change are recorded without any deadline."""
    result = deadlines(key, at(2026, 3, 10, 10))
    assert (result.response.due, result.resolution.due) == (None, None)
    assert not DOC.request_types[key].prioritised


def test_incident_takes_a_priority() -> None:
    """Only the incident request type has a priority."""
    assert DOC.request_types["incident"].prioritised


def test_report_asks_description_and_steps_to_reproduce() -> None:
    """An incident report asks for a description and the steps to reproduce it."""
    fields = {f.id: f.request_types for f in DOC.questionnaire.fields}
    assert fields == {"description": None, "steps_to_reproduce": ("incident",)}


# -- priority by two questions (3.2) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "scope", "priority"),
    [
        ("down", "several", "Top"),
        ("degraded", "several", "High"),
        ("down", "one", "Medium"),
        ("degraded", "one", "Low"),
    ],
)
def test_down_or_degraded_times_several_or_one(state: str, scope: str, priority: str) -> None:
    """The two questions down/degraded and several users/one user give the four priorities."""
    assert outcome("incident", state, scope) == (None, priority)


def test_information_and_change_are_chosen_up_front() -> None:
    """The first question routes information and change requests without a priority."""
    assert outcome("information") == ("information", None)
    assert outcome("change") == ("change", None)


# -- targets (3.2 and its footnote) ---------------------------------------------------------------


def test_top_resolution_waits_for_the_root_cause() -> None:
    """Without a known root cause a Top incident has a response deadline but no resolution one."""
    result = deadlines("Top", at(2026, 3, 10, 10))
    assert result.response.due == at(2026, 3, 10, 11)
    assert result.resolution.due is None
    assert result.resolution.started_at is None


def test_top_resolution_counts_from_the_root_cause() -> None:
    """Root cause Tue 14:00: 3.5 h to 17:30, then 0.5 h from Wed 08:30, due Wed 09:00."""
    result = deadlines("Top", at(2026, 3, 10, 10), root_cause=at(2026, 3, 10, 14))
    assert result.resolution.started_at == at(2026, 3, 10, 14)
    assert result.resolution.due == at(2026, 3, 11, 9)


def test_top_reported_on_saturday_responds_monday() -> None:
    """A Top incident reported on Saturday is answered by Mon 09:30 (office clock)."""
    result = deadlines("Top", at(2026, 3, 14, 10))
    assert result.response.due == at(2026, 3, 16, 9, 30)


def test_high_nine_and_eighteen_office_hours() -> None:
    """A High reported Tue 10:00 is answered Wed 10:00; root cause Wed 09:00 resolves Fri 09:00."""
    result = deadlines("High", at(2026, 3, 10, 10), root_cause=at(2026, 3, 11, 9))
    assert result.response.due == at(2026, 3, 11, 10)
    assert result.resolution.due == at(2026, 3, 13, 9)


def test_medium_skips_kings_day() -> None:
    """A Medium on Thu 23 April 11:00 (root cause known at once): Tue 28 April 11:00, Fri 1 May."""
    reported = at(2026, 4, 23, 11)
    result = deadlines("Medium", reported, root_cause=reported)
    assert result.response.due == at(2026, 4, 28, 11)
    assert result.resolution.due == at(2026, 5, 1, 11)


def test_low_ninety_hours_over_christmas_and_new_year() -> None:
    """A Low with root cause Mon 21 Dec 09:30 runs 10 workdays past both holidays: Wed 6 Jan."""
    reported = at(2026, 12, 21, 9, 30)
    result = deadlines("Low", reported, root_cause=reported)
    assert result.response.due == at(2026, 12, 23, 9, 30)
    assert result.resolution.due == at(2027, 1, 6, 9, 30)


# -- compliance (3.2) -----------------------------------------------------------------------------


def test_top_must_always_be_in_time_others_eighty_percent() -> None:
    """Top incidents 100 % within target; the others at least 80 %."""
    default = DOC.compliance.default
    top = DOC.compliance.priorities["Top"]
    assert default is not None
    assert (default.percent, default.comparison) == (80, "ge")
    assert (top.percent, top.comparison) == (100, "ge")
    assert DOC.compliance.pool_default  # High, Medium and Low together at 80 %


# -- problem management (2.3) ---------------------------------------------------------------------


def test_recurring_incidents_open_a_problem_and_top_gets_an_rca() -> None:
    """A recurring disrupting incident opens a problem record; every Top gets a root-cause study."""
    problems = DOC.problems
    assert problems is not None
    assert problems.recurring_opens_problem
    assert problems.rca_priorities == ("Top",)


# -- escalation (2.8) -----------------------------------------------------------------------------


def test_escalation_goes_to_service_support_manager_then_cto() -> None:
    """The first escalation level is the Service Support Manager, the second the CTO."""
    assert [level.role for level in DOC.escalation.levels] == ["service_support_manager", "cto"]


# -- availability (3.1) ---------------------------------------------------------------------------


def test_availability_inside_and_outside_support_hours() -> None:
    """99.5 % inside support hours, 95 % outside, and at most 3 interruptions a month."""
    availability = DOC.availability
    assert availability is not None
    assert [(t.percent, t.window) for t in availability.targets] == [
        (99.5, "office"),
        (95, "outside_office"),
    ]
    assert availability.max_interruptions_per_month == 3


# -- waiting on the customer (3.3) ----------------------------------------------------------------


def test_pause_after_the_root_cause_extends_the_resolution() -> None:
    """Root cause Tue 10:00, paused 11:00-12:00: the 4 h resolution is due 15:00."""
    reported = at(2026, 3, 10, 10)
    paused = [(at(2026, 3, 10, 11), at(2026, 3, 10, 12))]
    result = deadlines("Top", reported, root_cause=reported, paused=paused)
    assert result.response.due == at(2026, 3, 10, 11)
    assert result.resolution.due == at(2026, 3, 10, 15)


def test_pause_before_the_root_cause_only_moves_the_response() -> None:
    """Reported 08:45, paused 09:00-09:30, root cause 10:00: response 10:15, resolution 14:00."""
    paused = [(at(2026, 3, 10, 9), at(2026, 3, 10, 9, 30))]
    result = deadlines("Top", at(2026, 3, 10, 8, 45), root_cause=at(2026, 3, 10, 10), paused=paused)
    assert result.response.due == at(2026, 3, 10, 10, 15)
    assert result.resolution.due == at(2026, 3, 10, 14)
