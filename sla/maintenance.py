"""Planned maintenance windows: recorded by staff, checked against the contract's notice rules.

The rules come from the policy's ``maintenance`` section:

- Plek 2.4.1: announced at least 5 workdays ahead, and the work outside office hours;
- Pluvo 5.1: work inside business hours is announced 28 workdays ahead, and one interruption
  lasts at most 30 minutes; work outside business hours needs no notice.

"N workdays ahead" is N working days on the office clock between the announcement and the start
(``sla-seeds.md``). A window that breaks a rule is still recorded: the rules are the provider's
promise, and the warnings say which one is broken. Where the policy leaves out weekly windows from
availability (Klik 4.2, 4.6), maintenance outside them is also worth a warning: its downtime counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session, col, select

from sla.clock import clock_for
from sla.models import Customer, MaintenanceWindow
from sla.policy import Policy
from sla.service import policy_of
from sla.spans import merged, minus, total, weekly_spans

YEAR = timedelta(days=366)
LONGEST = timedelta(days=31)  # a window longer than this is a typing mistake, not maintenance
WarningCode = Literal[
    "short_notice", "inside_office_hours", "too_long", "announced_after_start", "outside_windows"
]


class MaintenanceError(Exception):
    """A window that cannot be recorded or changed; ``code`` names why."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class NoticeWarning:
    """A notice rule the window breaks, with the figures that show it."""

    code: WarningCode
    clause: str | None
    params: dict[str, Any] = field(default_factory=dict)


def check_notice(policy: Policy, window: MaintenanceWindow) -> list[NoticeWarning]:
    """The contract's maintenance rules that ``window`` breaks (none: an empty list)."""
    clock = clock_for(policy)
    calendar = clock.calendar
    start, end = window.starts_at.timestamp(), window.ends_at.timestamp()
    announced = window.announced_at.timestamp()
    inside = calendar.office_seconds_ts(start, end)
    warnings: list[NoticeWarning] = []
    rules = policy.doc.maintenance
    if announced > start:
        warnings.append(NoticeWarning("announced_after_start", rules.clause if rules else None))
    if rules is not None:
        needs_notice = not rules.inside_office_hours_only or inside > 0
        wanted = rules.notice_workdays * calendar.workday_seconds
        given = calendar.office_seconds_ts(announced, start)
        if needs_notice and rules.notice_workdays and given < wanted:
            # The last moment an announcement still leaves enough office time: the instant the
            # office clock read that much before the start, or the opening after it.
            latest = calendar.next_open_ts(
                calendar.at_reading_ts(calendar.reading_ts(start) - wanted)
            )
            warnings.append(
                NoticeWarning(
                    "short_notice",
                    rules.clause,
                    {
                        "workdays": rules.notice_workdays,
                        "given_workdays": given / calendar.workday_seconds,
                        "announce_by": calendar.local(latest),
                    },
                )
            )
        if rules.outside_office_hours and inside > 0:
            warnings.append(
                NoticeWarning("inside_office_hours", rules.clause, {"office_seconds": inside})
            )
        if rules.max_duration is not None and end - start > rules.max_duration.total_seconds():
            warnings.append(
                NoticeWarning(
                    "too_long",
                    rules.clause,
                    {"seconds": end - start, "max_seconds": rules.max_duration.total_seconds()},
                )
            )
    availability = policy.doc.availability
    if availability is not None and availability.exclude_windows:
        windows = policy.doc.calendar.windows
        covered = merged(
            span
            for name in availability.exclude_windows
            for span in weekly_spans(windows[name], calendar.tz, start, end)
        )
        outside = total(minus([(start, end)], covered))
        if outside > 0:
            warnings.append(
                NoticeWarning("outside_windows", availability.clause, {"seconds": outside})
            )
    return warnings


def add_maintenance(
    *,
    session: Session,
    customer: Customer,
    starts_at: datetime,
    ends_at: datetime,
    announced_at: datetime | None,
    note: str | None,
    recorded_by: str,
    now: datetime,
) -> tuple[MaintenanceWindow, list[NoticeWarning]]:
    """Record a window (announced now unless said otherwise) and the rules it breaks."""
    if ends_at <= starts_at:
        raise MaintenanceError("ends_before_start")
    if not now - YEAR <= starts_at <= now + 2 * YEAR or ends_at - starts_at > LONGEST:
        raise MaintenanceError("out_of_range")
    announced = announced_at or now
    if announced > now:
        raise MaintenanceError("announced_in_future")
    window = MaintenanceWindow(
        customer_id=customer.id,
        starts_at=starts_at,
        ends_at=ends_at,
        announced_at=announced,
        note=note or None,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    session.add(window)
    session.flush()
    return window, check_notice(policy_of(customer), window)


def cancel_maintenance(
    *, session: Session, customer: Customer, window_id: int, cancelled_by: str, now: datetime
) -> MaintenanceWindow:
    window = session.get(MaintenanceWindow, window_id)
    if window is None or window.customer_id != customer.id:
        raise MaintenanceError("unknown_window", id=window_id)
    if window.cancelled_at is not None:
        raise MaintenanceError("already_cancelled", id=window_id)
    window.cancelled_at = now
    window.cancelled_by = cancelled_by
    session.add(window)
    return window


def maintenance_windows(
    session: Session,
    customer_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    cancelled: bool = False,
) -> list[MaintenanceWindow]:
    """The customer's windows that overlap ``[start, end)``, by start; cancelled ones on request."""
    query = select(MaintenanceWindow).where(MaintenanceWindow.customer_id == customer_id)
    if start is not None:
        query = query.where(col(MaintenanceWindow.ends_at) > start)
    if end is not None:
        query = query.where(col(MaintenanceWindow.starts_at) < end)
    if not cancelled:
        query = query.where(col(MaintenanceWindow.cancelled_at).is_(None))
    query = query.order_by(col(MaintenanceWindow.starts_at), col(MaintenanceWindow.id))
    return list(session.exec(query))


def planned(window: MaintenanceWindow) -> bool:
    """Planned maintenance is announced before it starts (else it is an outage like any)."""
    return window.cancelled_at is None and window.announced_at <= window.starts_at
