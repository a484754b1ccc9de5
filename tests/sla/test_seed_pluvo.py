"""Pluvo (SLA version 1, seed 001): each rule of sla-seeds.md with hand-computed deadlines.

Calendar: Mon-Fri 09:00-17:00 Europe/Amsterdam, NL holidays; a workday is 8 office hours.
Responses run on the office clock, resolutions on the 24x7 clock (P4: 5 workdays).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import Deadlines, Pause, clock_for
from sla.policy import builtin_policy

AMS = ZoneInfo("Europe/Amsterdam")
POLICY = builtin_policy("pluvo")
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


# -- calendar (Art. 1 Arbeitszeiten) --------------------------------------------------------------


def test_business_hours_are_nine_to_five_on_weekdays() -> None:
    """09:00 is inside business hours and 17:00 outside; a workday is 8 hours."""
    cal = CLOCK.calendar
    assert cal.is_open(at(2026, 3, 10, 9))
    assert not cal.is_open(at(2026, 3, 10, 17))
    assert cal.workday_seconds == 8 * 3600


# -- who may file (6.1, 6.2, 9.1) -----------------------------------------------------------------


def test_only_kontaktpersonen_file_at_most_three_per_customer() -> None:
    """Only a Kontaktperson may file, at most 3 per customer, plus 1 escalation contact."""
    filers = {rid: role.max_per_customer for rid, role in DOC.roles.items() if role.may_file}
    assert filers == {"kontaktperson": 3}
    escalation = DOC.roles["eskalationskontakt"]
    assert (escalation.may_file, escalation.max_per_customer) == (False, 1)
    assert "escalation" in escalation.receives
    assert DOC.filing.unregistered == "refuse"


def test_report_asks_description_investigation_and_own_priority() -> None:
    """A report holds a description, what the customer investigated, and its own priority view."""
    assert [f.id for f in DOC.questionnaire.fields] == [
        "description",
        "investigation",
        "own_priority",
    ]
    assert all(f.required for f in DOC.questionnaire.fields)


# -- priorities (6.6) and targets (6.7, 6.8) ------------------------------------------------------


def test_questionnaire_leads_to_each_priority() -> None:
    """The answers lead to P1-P4 by impact, and questions or proposals to P4-question."""
    assert outcome("incident", "unreachable") == (None, "P1")
    assert outcome("incident", "whole_degraded") == (None, "P2")
    assert outcome("incident", "part_degraded") == (None, "P3")
    assert outcome("incident", "small_function") == (None, "P4")
    assert outcome("question") == (None, "P4-question")


def test_p1_response_one_office_hour_resolution_24_hours() -> None:
    """A P1 reported Tue 10:00 needs a response by 11:00 and a resolution by Wed 10:00."""
    result = deadlines("P1", at(2026, 3, 10, 10))
    assert result.response.due == at(2026, 3, 10, 11)
    assert result.resolution.due == at(2026, 3, 11, 10)


def test_p1_resolution_across_spring_forward_is_24_real_hours() -> None:
    """A P1 on Sat 28 March 10:00 CET is resolved by Sun 11:00 CEST: 24 real hours."""
    reported = at(2026, 3, 28, 10)
    result = deadlines("P1", reported)
    due = result.resolution.due
    assert due == at(2026, 3, 29, 11)
    assert due is not None and due.utcoffset() == timedelta(hours=2)
    assert due.astimezone(UTC) - reported.astimezone(UTC) == timedelta(hours=24)


def test_p1_response_on_a_weekend_waits_for_monday() -> None:
    """The response clock of a Saturday P1 only starts Monday 09:00, so it is due 10:00."""
    result = deadlines("P1", at(2026, 3, 28, 10))
    assert result.response.due == at(2026, 3, 30, 10)


def test_p1_resolution_across_fall_back_is_24_real_hours() -> None:
    """A P1 on Sat 24 October 12:00 CEST is resolved by Sun 11:00 CET: 24 real hours."""
    reported = at(2026, 10, 24, 12)
    due = deadlines("P1", reported).resolution.due
    assert due == at(2026, 10, 25, 11)
    assert due is not None and due.utcoffset() == timedelta(hours=1)
    assert due.astimezone(UTC) - reported.astimezone(UTC) == timedelta(hours=24)


def test_p1_reported_at_closing_time_responds_next_morning() -> None:
    """A P1 reported at exactly 17:00 is outside business hours: response Wed 10:00."""
    result = deadlines("P1", at(2026, 3, 10, 17))
    assert result.response.due == at(2026, 3, 11, 10)
    assert result.resolution.due == at(2026, 3, 11, 17)


def test_p2_response_can_fall_exactly_at_closing_time() -> None:
    """A P2 reported Tue 15:00 must be answered by 17:00 that day, resolved by Thu 15:00."""
    result = deadlines("P2", at(2026, 3, 10, 15))
    assert result.response.due == at(2026, 3, 10, 17)
    assert result.resolution.due == at(2026, 3, 12, 15)


def test_p2_response_skips_ascension_day() -> None:
    """A P2 on Wed 13 May 16:30 runs 30 min, skips Ascension, due Fri 10:30; resolved in 48 h."""
    result = deadlines("P2", at(2026, 5, 13, 16, 30))
    assert result.response.due == at(2026, 5, 15, 10, 30)
    assert result.resolution.due == at(2026, 5, 15, 16, 30)


def test_p3_response_skips_kings_day_but_resolution_does_not() -> None:
    """A P3 on Fri 24 April 15:00: response Tue 28 April 10:00; resolution Mon 27 15:00 (72 h)."""
    result = deadlines("P3", at(2026, 4, 24, 15))
    assert result.response.due == at(2026, 4, 28, 10)
    assert result.resolution.due == at(2026, 4, 27, 15)


def test_p4_response_24_office_hours_resolution_5_workdays() -> None:
    """A P4 on Tue 10:00: 24 office hours is three workdays (Fri 10:00); 5 workdays is next Tue."""
    result = deadlines("P4", at(2026, 3, 10, 10))
    assert result.response.due == at(2026, 3, 13, 10)
    assert result.resolution.due == at(2026, 3, 17, 10)
    assert result.resolution.rule.clock == "office"


def test_p4_question_has_a_response_but_no_resolution_time() -> None:
    """Questions and proposals (P4 ii) get a 24 h response and no resolution deadline."""
    result = deadlines("P4-question", at(2026, 3, 10, 10))
    assert result.response.due == at(2026, 3, 13, 10)
    assert result.resolution.due is None


def test_p4_question_id_is_forgiving() -> None:
    """The P4-question id may be typed in lower case or with an underscore."""
    assert POLICY.kind("p4_question").id == "P4-question"


@pytest.mark.parametrize(("key", "clock"), [("P1", "24x7"), ("P2", "24x7"), ("P3", "24x7")])
def test_resolution_counts_after_registration_on_the_24x7_clock(key: str, clock: str) -> None:
    """P1-P3 resolution times have no business-hours limit, unlike the response times."""
    result = deadlines(key, at(2026, 3, 10, 10))
    assert result.resolution.rule.clock == clock
    assert result.response.rule.clock == "office"


# -- after resolution, report (6.14, 7.1) ---------------------------------------------------------


def test_contact_is_told_what_was_done_after_resolution() -> None:
    """After a resolution the Kontaktperson hears what was done."""
    assert DOC.status_updates.on_resolution
    assert DOC.status_updates.clause == "6.14"


def test_report_covers_the_previous_six_months_on_request() -> None:
    """On request, availability and response/resolution times of the previous 6 months."""
    reporting = DOC.reporting
    assert reporting is not None
    assert (reporting.on_request, reporting.months) == (True, 6)
    assert set(reporting.covers) == {"availability", "response", "resolution"}


# -- sanctions (4.1, 4.2, 7.2, 7.2.1) -------------------------------------------------------------


def test_availability_is_measured_over_business_hours_without_planned_maintenance() -> None:
    """99.8 % per month over business hours only, planned maintenance excluded."""
    availability = DOC.availability
    assert availability is not None
    assert [(t.percent, t.window) for t in availability.targets] == [(99.8, "office")]
    assert availability.exclude_planned_maintenance


def test_review_and_termination_rights() -> None:
    """2 months missed or targets missed more than twice: review; 4 months missed: termination."""
    availability = DOC.availability
    assert availability is not None and availability.review and availability.termination
    assert availability.review.consecutive_months == 2
    assert availability.review.missed_targets_more_than == 2
    assert availability.termination.consecutive_months == 4


def test_maintenance_inside_business_hours_is_announced_28_workdays_ahead() -> None:
    """Maintenance that must happen inside business hours is announced 28 workdays ahead."""
    maintenance = DOC.maintenance
    assert maintenance is not None
    assert (maintenance.notice_workdays, maintenance.inside_office_hours_only) == (28, True)
    assert maintenance.max_duration == timedelta(minutes=30)


# -- escalation (9.1) -----------------------------------------------------------------------------


def test_escalation_ships_a_two_level_default() -> None:
    """The provider names no ladder, so the policy ships service desk lead then management."""
    assert [level.role for level in DOC.escalation.levels] == ["servicedesk_lead", "management"]


# -- waiting on the customer (6.9, 6.11) ----------------------------------------------------------


def test_pause_stops_both_clocks() -> None:
    """A P1 Tue 10:00 paused 10:30-11:30 is answered by 12:00 and resolved by Wed 11:00."""
    result = deadlines(
        "P1", at(2026, 3, 10, 10), [(at(2026, 3, 10, 10, 30), at(2026, 3, 10, 11, 30))]
    )
    assert result.response.due == at(2026, 3, 10, 12)
    assert result.resolution.due == at(2026, 3, 11, 11)


def test_overnight_pause_adds_its_full_length_on_the_24x7_clock() -> None:
    """A P1 Tue 10:00 paused Tue 12:00 to Wed 08:00 (20 h) is resolved Thu 06:00."""
    result = deadlines("P1", at(2026, 3, 10, 10), [(at(2026, 3, 10, 12), at(2026, 3, 11, 8))])
    assert result.response.due == at(2026, 3, 10, 11)
    assert result.resolution.due == at(2026, 3, 12, 6)
