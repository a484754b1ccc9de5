"""``/maintenance``: staff record, list and cancel a customer's planned maintenance windows.

    /maintenance acme                                           upcoming windows
    /maintenance acme add 2026-12-04T22:00 2026-12-04T23:00 Database upgrade
    /maintenance acme cancel 3

Times without an offset are the customer's policy time zone. A window that breaks the contract's
notice rules (Plek 2.4.1: 5 workdays ahead, outside office hours; Pluvo 5.1: 28 workdays ahead
inside business hours, at most 30 minutes) is recorded with a warning that says which rule.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.people import identify
from handlers.refusals import is_staff, refuse_non_staff
from handlers.types import Command, Reply
from sla.i18n import Translator
from sla.maintenance import (
    MaintenanceError,
    add_maintenance,
    cancel_maintenance,
    check_notice,
    maintenance_windows,
)
from sla.models import Customer
from sla.report_period import parse_moment
from sla.report_text_availability import maintenance_text, warning_text
from sla.service import policy_of

USAGE_LINES = (
    "/maintenance CUSTOMER",
    "/maintenance CUSTOMER add START END [note]",
    "/maintenance CUSTOMER cancel ID",
)


def maintenance_error_text(t: Translator, error: MaintenanceError) -> str:
    messages = {
        "ends_before_start": lambda: t._("The window ends before it starts."),
        "announced_in_future": lambda: t._("The announcement time lies in the future."),
        "out_of_range": lambda: t._(
            "A maintenance window starts at most a year ago or two years ahead, and lasts at "
            "most 31 days."
        ),
        "unknown_window": lambda: t._("There is no maintenance window #{id}.", **error.params),
        "already_cancelled": lambda: t._(
            "Maintenance window #{id} is cancelled already.", **error.params
        ),
    }
    make = messages.get(error.code)
    return make() if make else t._("That cannot be done now.")


def _usage(t: Translator) -> Reply:
    return Reply(
        t._("Use:")
        + "\n"
        + "\n".join(USAGE_LINES)
        + "\n"
        + t._("Times in ISO 8601, e.g. 2026-12-04T22:00."),
        lang=t.lang,
    )


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    t = person.t
    if not is_staff(person):
        return refuse_non_staff(person)
    words = event.args.split()
    if not words:
        return [_usage(t)]
    customer = session.get(Customer, words[0].lower())
    if customer is None:
        return [Reply(t._("There is no customer {customer}.", customer=words[0]), lang=t.lang)]
    tz = ZoneInfo(policy_of(customer).doc.calendar.timezone)
    verb = words[1].lower() if len(words) > 1 else "list"
    if verb == "list" and len(words) <= 2:
        return [_list(session, t, customer, tz, now)]
    if verb == "add" and len(words) >= 4:
        try:
            start, end = parse_moment(words[2], tz), parse_moment(words[3], tz)
        except ValueError:
            return [_usage(t)]
        assert person.staff is not None
        try:
            window, warnings = add_maintenance(
                session=session,
                customer=customer,
                starts_at=start,
                ends_at=end,
                announced_at=None,
                note=" ".join(words[4:]),
                recorded_by=person.staff.name,
                now=now,
            )
        except MaintenanceError as error:
            return [Reply(maintenance_error_text(t, error), lang=t.lang)]
        lines = [
            t._(
                "Recorded for {customer}: {window}",
                customer=customer.name,
                window=maintenance_text(t, window, str(tz)),
            )
        ]
        lines += [t._("Warning: {text}", text=warning_text(t, w, str(tz))) for w in warnings]
        return [Reply("\n".join(lines), lang=t.lang, alert=bool(warnings))]
    if verb == "cancel" and len(words) == 3 and words[2].lstrip("#").isdecimal():
        assert person.staff is not None
        try:
            window = cancel_maintenance(
                session=session,
                customer=customer,
                window_id=int(words[2].lstrip("#")),
                cancelled_by=person.staff.name,
                now=now,
            )
        except MaintenanceError as error:
            return [Reply(maintenance_error_text(t, error), lang=t.lang)]
        return [Reply(maintenance_text(t, window, str(tz)), lang=t.lang)]
    return [_usage(t)]


def _list(
    session: Session, t: Translator, customer: Customer, tz: ZoneInfo, now: datetime
) -> Reply:
    windows = maintenance_windows(session, customer.id, start=now)
    if not windows:
        return Reply(
            t._("No maintenance windows ahead for {customer}.", customer=customer.name),
            lang=t.lang,
        )
    policy = policy_of(customer)
    lines = [t._("Maintenance ahead for {customer}:", customer=customer.name)]
    for window in windows:
        lines.append(maintenance_text(t, window, str(tz)))
        lines += [
            "  " + t._("Warning: {text}", text=warning_text(t, w, str(tz)))
            for w in check_notice(policy, window)
        ]
    return Reply("\n".join(lines), lang=t.lang)
