"""One incident judged against its targets, from its record alone (no database needed)."""

from __future__ import annotations

from datetime import datetime

from sla.models import Incident, IncidentPause
from sla.policy import builtin_policy
from sla.report_incidents import evaluate, missed_targets
from tests.desk import at


def _incident(priority: str, reported: datetime, **times: datetime) -> Incident:
    return Incident(
        id=1,
        ref="X-1",
        customer_id="c",
        reporter_id=1,
        request_type="incident",
        priority=priority,
        language="en",
        reported_at=reported,
        **times,
    )


def test_a_running_pause_counts_up_to_now() -> None:
    """Pluvo P2 (response 2 h office, 09:00-17:00) Tue 10:00, waiting since 10:30: at 16:00 the
    response is pending, 30 minutes used, due as if resumed now: 16:00-17:00 and Wed 09:00-09:30.
    Ended at 16:00, the same deadline; at Wed 10:00 it is 30 minutes late."""
    pluvo = builtin_policy("pluvo")
    incident = _incident("P2", at(2026, 11, 24, 10))
    running = [IncidentPause(incident_id=1, started_at=at(2026, 11, 24, 10, 30))]
    result = evaluate(incident, running, pluvo, at(2026, 11, 24, 16))
    assert (result.response.status, result.response.due) == ("pending", at(2026, 11, 25, 9, 30))
    ended = [
        IncidentPause(
            incident_id=1, started_at=at(2026, 11, 24, 10, 30), ended_at=at(2026, 11, 24, 16)
        )
    ]
    late = evaluate(incident, ended, pluvo, at(2026, 11, 25, 10))
    assert (late.response.status, late.response.due) == ("missed", at(2026, 11, 25, 9, 30))
    assert (late.response.late_real, late.response.late_clock) == (1800, 1800)


def test_the_resolution_clock_waits_for_the_root_cause() -> None:
    """Infravision Top: without a root cause the resolution is not started; with one at 14:00
    it is due Wed 09:00 (3.5 h Tue, 0.5 h Wed)."""
    infravision = builtin_policy("infravision")
    waiting = evaluate(_incident("Top", at(2026, 11, 24, 10)), [], infravision, at(2026, 12, 1))
    assert waiting.resolution.status == "not_started"
    known = _incident("Top", at(2026, 11, 24, 10), root_cause_at=at(2026, 11, 24, 14))
    result = evaluate(known, [], infravision, at(2026, 11, 24, 15))
    assert (result.resolution.status, result.resolution.due) == ("pending", at(2026, 11, 25, 9))
    assert result.resolution.started_at == at(2026, 11, 24, 14)


def test_missed_targets_counts_both_of_an_incident() -> None:
    """A Klik P1 neither answered nor resolved for hours misses response and resolution: 2."""
    result = evaluate(
        _incident("P1", at(2026, 11, 24, 10)), [], builtin_policy("klik"), at(2026, 11, 24, 15)
    )
    assert (result.response.status, result.resolution.status) == ("missed", "missed")
    assert missed_targets([result]) == 2
