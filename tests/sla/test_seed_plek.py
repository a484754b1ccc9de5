"""Plek Group BV (SLA v2.1, seed 000): each rule of sla-seeds.md with hand-computed deadlines.

Calendar: Mon-Fri 08:30-18:00 Europe/Amsterdam, NL holidays; a workday is 9.5 office hours.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from sla.clock import Deadlines, Pause, clock_for
from sla.policy import builtin_policy

AMS = ZoneInfo("Europe/Amsterdam")
POLICY = builtin_policy("plek")
DOC = POLICY.doc
CLOCK = clock_for(POLICY)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def deadlines(key: str, reported: datetime, paused: list[Pause] | None = None) -> Deadlines:
    return CLOCK.deadlines(key, reported_at=reported, paused=paused or [])


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


# -- calendar (2.2.2) -----------------------------------------------------------------------------


def test_office_hours_are_half_open() -> None:
    """08:30 is inside office hours, 18:00 is outside, and Saturday is closed."""
    cal = CLOCK.calendar
    assert cal.is_open(at(2026, 3, 10, 8, 30))
    assert cal.is_open(at(2026, 3, 10, 17, 59))
    assert not cal.is_open(at(2026, 3, 10, 18, 0))
    assert not cal.is_open(at(2026, 3, 10, 8, 29))
    assert not cal.is_open(at(2026, 3, 14, 12, 0))


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 4, 27),  # King's Day
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 12, 25),  # Christmas
        date(2025, 5, 5),  # Liberation Day, a year divisible by five
    ],
)
def test_nl_holidays_are_days_off(day: date) -> None:
    """NL public holidays, as the holidays package gives them, are not working days."""
    assert not CLOCK.calendar.is_workday(day)


def test_liberation_day_is_a_workday_outside_lustrum_years() -> None:
    """5 May 2026 is a working day, since 2026 is not divisible by five."""
    assert CLOCK.calendar.is_workday(date(2026, 5, 5))


# -- who may file (3.1) ---------------------------------------------------------------------------


def test_only_beheerders_may_file_and_others_are_forwarded() -> None:
    """Beheerders file, any number per customer; other users' reports go to the Beheerders."""
    filers = [rid for rid, role in DOC.roles.items() if role.may_file]
    assert filers == ["beheerder"]
    assert DOC.roles["beheerder"].max_per_customer is None
    assert DOC.filing.unregistered == "forward"
    assert DOC.filing.forward_to == ("beheerder",)


# -- priorities and targets (2.2.4) ---------------------------------------------------------------


def test_p1_is_resolved_within_four_office_hours() -> None:
    """A P1 reported Tue 10:00 is due Tue 14:00."""
    result = deadlines("P1", at(2026, 3, 10, 10))
    assert result.resolution.due == at(2026, 3, 10, 14)


def test_p1_deadline_can_fall_exactly_at_closing_time() -> None:
    """A P1 reported Tue 14:00 is due at 18:00 that day, not at the next opening."""
    result = deadlines("P1", at(2026, 3, 10, 14))
    assert result.resolution.due == at(2026, 3, 10, 18)


def test_p1_counts_over_easter_to_the_next_opening() -> None:
    """A P1 reported Thu 16:00 before Easter runs 2 h, skips Good Friday to Easter Monday."""
    result = deadlines("P1", at(2026, 4, 2, 16))
    assert result.resolution.due == at(2026, 4, 7, 10, 30)


def test_p1_reported_on_saturday_starts_at_monday_opening() -> None:
    """A P1 reported Saturday night starts counting Monday 08:30 and is due 12:30."""
    result = deadlines("P1", at(2026, 3, 14, 22))
    assert result.resolution.due == at(2026, 3, 16, 12, 30)


def test_p2_three_workdays_from_tuesday_is_friday() -> None:
    """A P2 reported Tue 10:00 is due three workdays later, Fri 10:00."""
    result = deadlines("P2", at(2026, 3, 10, 10))
    assert result.resolution.due == at(2026, 3, 13, 10)


def test_p2_skips_kings_day() -> None:
    """A P2 reported Fri 24 April 10:00 skips the weekend and King's Day: due Thu 30 April 10:00."""
    result = deadlines("P2", at(2026, 4, 24, 10))
    assert result.resolution.due == at(2026, 4, 30, 10)


@pytest.mark.parametrize("key", ["P3", "P4"])
def test_p3_and_p4_have_no_resolution_deadline(key: str) -> None:
    """P3 (next announced release) and P4 (best effort) carry no deadline."""
    result = deadlines(key, at(2026, 3, 10, 10))
    assert result.resolution.due is None
    assert result.resolution.rule.kind == "none"


@pytest.mark.parametrize("key", ["P1", "P2", "P3", "P4"])
def test_no_response_time_is_stated(key: str) -> None:
    """The contract states no response time for any priority."""
    assert deadlines(key, at(2026, 3, 10, 10)).response.due is None


def test_questionnaire_leads_to_each_priority() -> None:
    """The questions end in P1 (down), P2 (partial), P3 (degraded), P4 (change) and complaint."""
    assert outcome("incident", "down") == (None, "P1")
    assert outcome("incident", "partial") == (None, "P2")
    assert outcome("incident", "degraded") == (None, "P3")
    assert outcome("change") == (None, "P4")
    assert outcome("complaint") == ("complaint", None)


# -- before a deadline, compliance (2.2.4 note 1) -------------------------------------------------


def test_reminder_tells_support_to_consult_the_beheerder() -> None:
    """The reminder before a resolution deadline says to consult the Beheerder before it expires."""
    text = DOC.reminders.before_resolution
    assert text is not None
    assert "Beheerder" in text.nl and "Beheerder" in text.en


def test_compliance_is_more_than_80_percent_per_year() -> None:
    """More than 80 % of calls within the resolution times, averaged over a calendar year."""
    target = DOC.compliance.default
    assert target is not None
    assert (target.percent, target.comparison, target.measure, target.period) == (
        80,
        "gt",
        "resolution",
        "year",
    )


def test_compliance_pools_all_calls() -> None:
    """Plek's "meer dan 80% van alle calls": the default target pools P1 to P4 as one."""
    assert DOC.compliance.pool_default
    assert DOC.compliance.priorities == {}


# -- escalation (6.2, Bijlage A) ------------------------------------------------------------------


def test_escalation_ladder_has_three_levels() -> None:
    """Service desk lead, then Customer Success Manager, then the board; Beheerders may escalate."""
    assert [level.role for level in DOC.escalation.levels] == [
        "team_lead",
        "customer_success",
        "board",
    ]
    assert DOC.escalation.contacts_may_escalate


# -- complaints (6.1) -----------------------------------------------------------------------------


def test_complaint_is_acknowledged_in_one_and_handled_in_two_workdays() -> None:
    """A complaint Wed 23 Dec 11:00 is acknowledged Thu 11:00 and contacted Mon 28 Dec 11:00."""
    result = deadlines("complaint", at(2026, 12, 23, 11))
    assert result.response.due == at(2026, 12, 24, 11)
    assert result.resolution.due == at(2026, 12, 28, 11)


# -- availability and maintenance (2.4.1, 2.4.2, 6.3) ---------------------------------------------


def test_availability_credit_and_termination() -> None:
    """99.9 % a month; below 98.9 % 1 % back; 3 months below 98.9 % allow termination."""
    availability = DOC.availability
    assert availability is not None
    assert [(t.percent, t.window) for t in availability.targets] == [(99.9, "24x7")]
    assert [(c.below, c.credit_percent) for c in availability.credits] == [(98.9, 1)]
    termination = availability.termination
    assert termination is not None
    assert (termination.below, termination.consecutive_months) == (98.9, 3)
    assert termination.unless_single_incident_spans_two


def test_maintenance_is_announced_five_workdays_ahead_outside_office_hours() -> None:
    """Maintenance is announced at least 5 workdays ahead and takes place outside office hours."""
    maintenance = DOC.maintenance
    assert maintenance is not None
    assert (maintenance.notice_workdays, maintenance.outside_office_hours) == (5, True)


# -- waiting on the customer (sla-seeds.md) -------------------------------------------------------


def test_pause_while_waiting_on_the_customer_stops_the_clock() -> None:
    """A P1 reported Tue 10:00 and paused 11:00-13:00 is due 16:00 instead of 14:00."""
    result = deadlines("P1", at(2026, 3, 10, 10), [(at(2026, 3, 10, 11), at(2026, 3, 10, 13))])
    assert DOC.pause.clocks == ("response", "resolution")
    assert result.resolution.due == at(2026, 3, 10, 16)
