"""Klik Onderwijs (Bijlage B, seed 002): each rule of sla-seeds.md with hand-computed deadlines.

Calendar: Mon-Fri 09:00-17:00 Europe/Amsterdam, NL holidays. P1 runs on the 24x7 clock and P2's
resolution on the office clock, each with a variant chosen by whether the report arrived inside
office hours (half-open: 09:00 is inside, 17:00 outside).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.clock import Deadlines, Pause, clock_for
from sla.policy import builtin_policy

AMS = ZoneInfo("Europe/Amsterdam")
POLICY = builtin_policy("klik")
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


# -- who may file (7.2) ---------------------------------------------------------------------------


def test_beheerder_and_superuser_may_file_others_use_email() -> None:
    """Only beheerders and superusers file here; other users are told to use e-mail."""
    filers = sorted(rid for rid, role in DOC.roles.items() if role.may_file)
    assert filers == ["beheerder", "superuser"]
    assert not DOC.roles["gebruiker"].may_file
    assert DOC.filing.unregistered == "refuse"
    hint = DOC.filing.hint
    assert hint is not None
    assert "e-mail" in hint.nl and "e-mail" in hint.en and "E-Mail" in hint.de


# -- priorities (7.4) -----------------------------------------------------------------------------


def test_questionnaire_leads_to_each_priority() -> None:
    """Total outage and large data leaks are P1, partial or degraded P2, little impact P3."""
    assert outcome("outage") == (None, "P1")
    assert outcome("data_leak") == (None, "P1")
    assert outcome("partial") == (None, "P2")
    assert outcome("minor") == (None, "P3")


# -- P1 targets (6.2, 7.5) ------------------------------------------------------------------------


def test_p1_inside_office_hours_one_and_two_hours() -> None:
    """A P1 reported Tue 10:00 (inside) needs a response by 11:00 and a resolution by 12:00."""
    result = deadlines("P1", at(2026, 3, 10, 10))
    assert result.inside_office_hours
    assert result.response.due == at(2026, 3, 10, 11)
    assert result.resolution.due == at(2026, 3, 10, 12)
    assert result.response.rule.variant == "inside"


def test_p1_outside_office_hours_two_and_four_hours_through_the_night() -> None:
    """A P1 reported Tue 20:00 (outside) is due 22:00 and midnight on the 24x7 clock."""
    result = deadlines("P1", at(2026, 3, 10, 20))
    assert not result.inside_office_hours
    assert result.response.due == at(2026, 3, 10, 22)
    assert result.resolution.due == at(2026, 3, 11, 0)
    assert result.resolution.rule.variant == "outside"


def test_p1_reported_at_opening_time_is_inside() -> None:
    """A P1 reported at exactly 09:00 counts as inside office hours: due 10:00 and 11:00."""
    result = deadlines("P1", at(2026, 3, 10, 9))
    assert result.inside_office_hours
    assert result.response.due == at(2026, 3, 10, 10)
    assert result.resolution.due == at(2026, 3, 10, 11)


def test_p1_reported_at_closing_time_is_outside() -> None:
    """A P1 reported at exactly 17:00 counts as outside office hours: due 19:00 and 21:00."""
    result = deadlines("P1", at(2026, 3, 10, 17))
    assert not result.inside_office_hours
    assert result.response.due == at(2026, 3, 10, 19)
    assert result.resolution.due == at(2026, 3, 10, 21)


def test_p1_on_kings_day_is_outside_office_hours() -> None:
    """A P1 reported at 10:00 on King's Day (Mon 27 April) takes the outside targets."""
    result = deadlines("P1", at(2026, 4, 27, 10))
    assert not result.inside_office_hours
    assert result.response.due == at(2026, 4, 27, 12)
    assert result.resolution.due == at(2026, 4, 27, 14)


def test_p1_across_spring_forward_counts_real_hours() -> None:
    """A P1 at Sun 29 March 01:30 CET is due 04:30 and 06:30 CEST: 2 and 4 real hours."""
    reported = at(2026, 3, 29, 1, 30)
    result = deadlines("P1", reported)
    assert result.response.due == at(2026, 3, 29, 4, 30)
    assert result.resolution.due == at(2026, 3, 29, 6, 30)
    due = result.resolution.due
    assert due is not None
    assert due.astimezone(UTC) - reported.astimezone(UTC) == timedelta(hours=4)


# -- P2 and P3 targets (7.5) ----------------------------------------------------------------------


def test_p2_inside_office_hours_one_and_four_office_hours() -> None:
    """A P2 reported Tue 10:00 needs a response by 11:00 and a resolution by 14:00."""
    result = deadlines("P2", at(2026, 3, 10, 10))
    assert result.response.due == at(2026, 3, 10, 11)
    assert result.resolution.due == at(2026, 3, 10, 14)


def test_p2_resolution_can_fall_exactly_at_closing_time() -> None:
    """A P2 reported Tue 13:00 is resolved by 17:00 that day, not Wed 09:00."""
    result = deadlines("P2", at(2026, 3, 10, 13))
    assert result.resolution.due == at(2026, 3, 10, 17)


def test_p2_outside_office_hours_starts_at_next_opening_with_eight_hours() -> None:
    """A P2 reported Tue 20:00 starts Wed 09:00: response 10:00, resolution 17:00."""
    result = deadlines("P2", at(2026, 3, 10, 20))
    assert not result.inside_office_hours
    assert result.response.due == at(2026, 3, 11, 10)
    assert result.resolution.due == at(2026, 3, 11, 17)


def test_p2_reported_friday_at_closing_time_runs_on_monday() -> None:
    """A P2 reported Fri 17:00 is outside office hours: response Mon 10:00, resolution Mon 17:00."""
    result = deadlines("P2", at(2026, 3, 13, 17))
    assert result.response.due == at(2026, 3, 16, 10)
    assert result.resolution.due == at(2026, 3, 16, 17)


def test_p3_response_eight_office_hours_and_no_resolution() -> None:
    """A P3 reported Tue 10:00 gets a response by Wed 10:00; its resolution is planned together."""
    result = deadlines("P3", at(2026, 3, 10, 10))
    assert result.response.due == at(2026, 3, 11, 10)
    assert result.resolution.due is None


# -- on a missed target (7.6) ---------------------------------------------------------------------


def test_breach_asks_for_reason_and_new_end_time() -> None:
    """A missed target asks support for the reason and an expected end time for the customer."""
    reminders = DOC.reminders
    assert reminders.ask_breach_reason
    assert reminders.on_breach is not None
    assert "reden" in reminders.on_breach.nl and "eindtijd" in reminders.on_breach.nl
    assert "7.6" in (reminders.clause or "")


# -- availability (1.2, 2.1, 4.2, 4.6) ------------------------------------------------------------


def test_availability_99_guaranteed_99_9_aimed_around_the_clock() -> None:
    """99 % guaranteed and 99.9 % aimed per month, inside and outside office hours."""
    availability = DOC.availability
    assert availability is not None
    assert [(t.percent, t.aimed, t.window) for t in availability.targets] == [(99, 99.9, "24x7")]


def test_announced_maintenance_windows_are_excluded() -> None:
    """Planned (Fri 22:00-24:00) and urgent (Mon-Fri 22:00-24:00) maintenance do not count."""
    availability = DOC.availability
    assert availability is not None
    windows = DOC.calendar.windows
    assert set(availability.exclude_windows) == {"planned_maintenance", "urgent_maintenance"}
    planned, urgent = windows["planned_maintenance"], windows["urgent_maintenance"]
    assert (planned.days, planned.hours, planned.announced) == (("fri",), (22 * 60, 24 * 60), True)
    assert urgent.days == ("mon", "tue", "wed", "thu", "fri")
    assert (urgent.hours, urgent.announced) == ((22 * 60, 24 * 60), True)


# -- escalation (sla-seeds.md) --------------------------------------------------------------------


def test_escalation_ships_a_two_level_default() -> None:
    """No ladder is named, so helpdesk lead then management ship as the default."""
    assert [level.role for level in DOC.escalation.levels] == ["helpdesk_lead", "management"]


# -- waiting on the customer (sla-seeds.md) -------------------------------------------------------


def test_pause_stops_the_24x7_p1_clocks() -> None:
    """A P1 reported Tue 10:00 and paused 10:15-10:45 is due 11:30 and 12:30."""
    result = deadlines(
        "P1", at(2026, 3, 10, 10), [(at(2026, 3, 10, 10, 15), at(2026, 3, 10, 10, 45))]
    )
    assert result.response.due == at(2026, 3, 10, 11, 30)
    assert result.resolution.due == at(2026, 3, 10, 12, 30)


def test_variant_is_decided_by_the_report_time_alone() -> None:
    """A P2 reported inside hours keeps the 4 h variant even when paused past closing time."""
    paused = [(at(2026, 3, 10, 16, 45), at(2026, 3, 11, 9, 30))]
    result = deadlines("P2", at(2026, 3, 10, 16, 30), paused)
    assert result.inside_office_hours
    assert result.response.due == at(2026, 3, 11, 10, 15)
    assert result.resolution.due == at(2026, 3, 11, 13, 15)
