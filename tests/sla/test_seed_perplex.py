"""Perplex DBC Software (SLA/AV January 2018, seed 003): each rule of sla-seeds.md, by hand.

Calendar: Mon-Fri 09:00-17:00 Europe/Amsterdam (sla-seeds.md's office day), NL holidays; a
workday is 8 office hours. Customers are "standard" or "first_class".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import Deadlines, Pause, TierNotAllowed, clock_for
from sla.policy import builtin_policy

AMS = ZoneInfo("Europe/Amsterdam")
POLICY = builtin_policy("perplex")
DOC = POLICY.doc
CLOCK = clock_for(POLICY)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def deadlines(
    key: str, reported: datetime, paused: list[Pause] | None = None, tier: str | None = None
) -> Deadlines:
    return CLOCK.deadlines(key, reported_at=reported, paused=paused or [], tier=tier)


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


# -- calendar (Openingstijden) --------------------------------------------------------------------


def test_office_day_is_nine_to_five_not_the_phone_hours() -> None:
    """The office day is Mon-Fri 09:00-17:00, wider than the phone hours Mon-Thu 09:00-12:30."""
    cal = CLOCK.calendar
    assert cal.is_open(at(2026, 3, 13, 14))  # a Friday afternoon
    assert not cal.is_open(at(2026, 3, 13, 17))
    assert cal.workday_seconds == 8 * 3600


# -- who may file, tiers (Algemene ondersteuning, Extra ondersteuning) ----------------------------


def test_only_authorised_contacts_may_file() -> None:
    """Only contacts the customer registered as authorised file; others are refused."""
    filers = [rid for rid, role in DOC.roles.items() if role.may_file]
    assert filers == ["contactpersoon"]
    assert DOC.filing.unregistered == "refuse"


def test_customers_are_standard_or_first_class() -> None:
    """The policy knows the two tiers standard and first_class."""
    assert DOC.tiers == ("standard", "first_class")


def test_unknown_tier_is_refused() -> None:
    """A tier the policy does not know is refused for any priority."""
    with pytest.raises(TierNotAllowed, match="has no tier 'gold'"):
        deadlines("Prio3", at(2026, 3, 10, 10), tier="gold")


# -- priorities (Prioriteiten en hersteltijden) ---------------------------------------------------


def test_prio1_first_class_is_resolved_within_four_office_hours() -> None:
    """A First Class Prio1 reported Tue 10:00 is resolved or worked around by 14:00."""
    result = deadlines("Prio1", at(2026, 3, 10, 10), tier="first_class")
    assert result.resolution.due == at(2026, 3, 10, 14)
    assert result.response.due is None


def test_prio1_is_refused_for_a_standard_customer() -> None:
    """Prio1 is for First Class customers only: a standard customer raises TierNotAllowed."""
    with pytest.raises(TierNotAllowed, match="only for tier first_class"):
        deadlines("Prio1", at(2026, 3, 10, 10), tier="standard")


def test_prio2_one_workday_skips_easter() -> None:
    """A Prio2 on Thu 2 April 11:00 skips Good Friday to Easter Monday: due Tue 7 April 11:00."""
    result = deadlines("Prio2", at(2026, 4, 2, 11), tier="standard")
    assert result.resolution.due == at(2026, 4, 7, 11)


def test_prio3_one_work_week_skips_ascension() -> None:
    """A Prio3 on Mon 11 May 10:00 gets 5 workdays, Ascension excluded: due Tue 19 May 10:00."""
    result = deadlines("Prio3", at(2026, 5, 11, 10))
    assert result.resolution.due == at(2026, 5, 19, 10)


def test_prio4_is_answered_by_close_of_the_next_workday() -> None:
    """An informative question on Mon 10:00 is answered by Tue 17:00."""
    result = deadlines("Prio4", at(2026, 3, 9, 10))
    assert result.response.due == at(2026, 3, 10, 17)
    assert result.resolution.due is None


def test_prio4_reported_friday_night_counts_from_monday() -> None:
    """A question on Friday night has Monday as its first office day, so it is due Tue 17:00."""
    result = deadlines("Prio4", at(2026, 3, 13, 20))
    assert result.response.due == at(2026, 3, 17, 17)


def test_prio4_reported_at_closing_time_counts_from_the_next_day() -> None:
    """A question at exactly 17:00 Mon has Tuesday as its first office day: due Wed 17:00."""
    result = deadlines("Prio4", at(2026, 3, 9, 17))
    assert result.response.due == at(2026, 3, 11, 17)


def test_prio4_next_workday_skips_easter() -> None:
    """A question on Thu 2 April 15:00 is due at close of the next workday, Tue 7 April 17:00."""
    result = deadlines("Prio4", at(2026, 4, 2, 15))
    assert result.response.due == at(2026, 4, 7, 17)


def test_prio5_wish_has_no_deadline() -> None:
    """A wish has neither a response nor a resolution deadline."""
    result = deadlines("Prio5", at(2026, 3, 9, 10))
    assert (result.response.due, result.resolution.due) == (None, None)


def test_questionnaire_proposes_a_priority() -> None:
    """Answers propose Prio1 (disrupting), Prio3, Prio4 (question), Prio5 (wish) or a type."""
    assert outcome("problem", "disrupting") == (None, "Prio1")
    assert outcome("problem", "not_disrupting") == (None, "Prio3")
    assert outcome("question") == (None, "Prio4")
    assert outcome("wish") == (None, "Prio5")
    assert outcome("complaint") == ("complaint", None)
    assert outcome("data_breach") == ("data_breach", None)


# -- priority by staff, status updates (Registratie en reactietijd) -------------------------------


def test_staff_confirm_the_proposed_priority_with_a_reason_on_change() -> None:
    """The bot only proposes a priority; staff confirm or change it, giving a reason."""
    assert DOC.triage.staff_confirm_priority
    assert DOC.triage.reason_on_change


def test_reporter_hears_every_status_change() -> None:
    """The reporter is told of every status change of the incident."""
    assert DOC.status_updates.every_change


def test_prio2_and_prio1_both_count_from_the_report_time() -> None:
    """The same production stop is due after 1 workday as Prio2, after 4 h as First Class Prio1."""
    reported = at(2026, 3, 10, 10)
    assert deadlines("Prio2", reported).resolution.due == at(2026, 3, 11, 10)
    assert deadlines("Prio1", reported, tier="first_class").resolution.due == at(2026, 3, 10, 14)


# -- data breach (Verwerkersovereenkomst) ---------------------------------------------------------


def test_data_breach_contact_is_told_within_48_real_hours() -> None:
    """A breach found Fri 27 March 18:00 CET is reported to the contact by Sun 19:00 CEST."""
    reported = at(2026, 3, 27, 18)
    result = deadlines("data_breach", reported)
    due = result.response.due
    assert due == at(2026, 3, 29, 19)
    assert due is not None
    assert due.astimezone(UTC) - reported.astimezone(UTC) == timedelta(hours=48)


def test_data_breach_notifies_the_flagged_contact() -> None:
    """The data-breach request type notifies the role flagged for data-breach notices."""
    rtype = DOC.request_types["data_breach"]
    assert rtype.notify_roles == ("datalek_contact",)
    assert "data_breach" in DOC.roles["datalek_contact"].receives


# -- complaints (Algemene ondersteuning) ----------------------------------------------------------


def test_complaint_is_answered_within_five_days_around_the_clock() -> None:
    """A complaint Wed 21 Oct 12:00 CEST is answered within 120 h: Mon 26 Oct 11:00 CET."""
    result = deadlines("complaint", at(2026, 10, 21, 12))
    assert result.response.due == at(2026, 10, 26, 11)
    assert result.resolution.due is None


# -- waiting on the customer (sla-seeds.md) -------------------------------------------------------


def test_pause_stops_the_workday_clock() -> None:
    """A Prio2 Tue 10:00 paused 11:00-15:00 has 1 h + 2 h on Tuesday, then 5 h: Wed 14:00."""
    result = deadlines("Prio2", at(2026, 3, 10, 10), [(at(2026, 3, 10, 11), at(2026, 3, 10, 15))])
    assert result.resolution.due == at(2026, 3, 11, 14)


def test_pause_extends_the_next_workday_close() -> None:
    """A Prio4 Mon 10:00 paused 12:00-14:00 gets those 2 office hours back: due Wed 11:00."""
    result = deadlines("Prio4", at(2026, 3, 9, 10), [(at(2026, 3, 9, 12), at(2026, 3, 9, 14))])
    assert result.response.due == at(2026, 3, 11, 11)
