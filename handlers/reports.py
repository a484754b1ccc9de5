"""``/report``: compliance and availability for a customer, with a chart and the CSVs attached;
``/outage``: staff correct the outage an incident records.

    /report                   a contact: their own customer, the default period
    /report 2026-10           a contact, one month (or 2026, or 2026-05..2026-10)
    /report acme 2026-10      staff name the customer
    /outage PLEK-7                                        show the outage PLEK-7 records
    /outage PLEK-7 2026-10-03T09:40 2026-10-03T14:00 why  correct start and end (- keeps one)
    /outage PLEK-7 exclude|include why                    leave it out, or count it

A contact sees only their own customer: naming another customer reads as an unknown period. Plain
users without a contract role (Plek's Gebruiker) are refused, like anyone unregistered.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from handlers.people import Person, identify
from handlers.refusals import error_text, is_staff, refuse_non_staff
from handlers.types import Attachment, Command, Reply
from sla.directory import customer_by_id
from sla.i18n import Translator
from sla.models import Customer
from sla.outages import correct_outage, correction_of, outage_of
from sla.report_chart import chart_png
from sla.report_formats import availability_csv, compliance_csv
from sla.report_period import Period, default_period, parse_moment, parse_period
from sla.report_text import summary
from sla.report_text_availability import outage_text
from sla.reports import PeriodInFuture, compliance_report
from sla.reports_availability import availability_report
from sla.service import Actor, ServiceError, find_incident, policy_of


def may_see_reports(person: Person) -> bool:
    """A contact person with a contract role (one who may file, or hears of status or
    escalations), as opposed to a plain user of the customer."""
    if person.contact is None or person.customer is None:
        return False
    roles = policy_of(person.customer).doc.roles
    return any(
        role in roles
        and (roles[role].may_file or {"status", "escalation"} & set(roles[role].receives))
        for role in person.contact.roles
    )


def command(session: Session, event: Command, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    t = person.t
    words = event.args.split()
    customer: Customer | None = None
    if is_staff(person):
        if words:
            customer = session.get(Customer, words[0].lower())
        if customer is None:
            return [_staff_usage(session, t)]
        words = words[1:]
    elif may_see_reports(person):
        customer = person.customer
        assert customer is not None
        if words and words[0].lower() == customer.id:
            words = words[1:]
    else:
        return [
            Reply(
                t._("Reports are for support staff and the contact persons of a customer."),
                lang=t.lang,
                ephemeral=True,
            )
        ]
    policy = policy_of(customer)
    tz = ZoneInfo(policy.doc.calendar.timezone)
    if words:
        try:
            period = parse_period(" ".join(words))
        except ValueError:
            return [
                Reply(
                    t._(
                        "'{value}' is not a period: use 2026-10, 2026 or 2026-05..2026-10 "
                        "(at most ten years).",
                        value=" ".join(words),
                    ),
                    lang=t.lang,
                )
            ]
    else:
        months = policy.doc.reporting.months if policy.doc.reporting else None
        period = default_period(now, tz, months)
    return [_report(session, t, customer, period, now)]


def _report(
    session: Session, t: Translator, customer: Customer, period: Period, now: datetime
) -> Reply:
    policy = policy_of(customer)
    try:
        compliance = compliance_report(session, customer, period, now)
    except PeriodInFuture:
        return Reply(
            t._("The period {period} has not begun yet.", period=period.label), lang=t.lang
        )
    availability = (
        availability_report(session, customer, period, now) if policy.doc.availability else None
    )
    stem = f"{customer.id}-{period.label}"
    attachments = [
        Attachment(f"{stem}.png", "image/png", chart_png(t, policy, compliance, availability)),
        Attachment(
            f"{stem}-compliance.csv", "text/csv", compliance_csv(compliance).encode("utf-8")
        ),
    ]
    if availability is not None:
        attachments.append(
            Attachment(
                f"{stem}-availability.csv",
                "text/csv",
                availability_csv(availability).encode("utf-8"),
            )
        )
    return Reply(
        summary(t, policy, compliance, availability),
        lang=t.lang,
        attachments=tuple(attachments),
    )


def _staff_usage(session: Session, t: Translator) -> Reply:
    ids = [c.id for c in session.exec(select(Customer).order_by(col(Customer.id)))]
    return Reply(
        t._(
            "Name the customer: /report CUSTOMER [period], e.g. /report {example} 2026-10. "
            "Customers: {customers}",
            example=ids[0] if ids else "acme",
            customers=", ".join(ids) or "—",
        ),
        lang=t.lang,
    )


# -- /outage -------------------------------------------------------------------------------


def outage_command(session: Session, event: Command, now: datetime) -> list[Reply]:
    person = identify(session, event.user, event.chat)
    t = person.t
    if not is_staff(person):
        return refuse_non_staff(person)
    words = event.args.split()
    if not words:
        return [_outage_usage(t)]
    incident = find_incident(session, words[0])
    if incident is None:
        return [Reply(t._("There is no incident {ref}.", ref=words[0].upper()), lang=t.lang)]
    customer = customer_by_id(session, incident.customer_id)
    assert customer is not None
    policy = policy_of(customer)
    tz = ZoneInfo(policy.doc.calendar.timezone)
    rest = words[1:]
    if rest:
        started: datetime | None = None
        ended: datetime | None = None
        counts: bool | None = None
        verb = rest[0].lower()
        if verb in ("exclude", "include"):
            counts = verb == "include"
            reason = " ".join(rest[1:])
        elif len(rest) >= 2:
            try:
                started = None if rest[0] == "-" else parse_moment(rest[0], tz)
                ended = None if rest[1] == "-" else parse_moment(rest[1], tz)
            except ValueError:
                return [_outage_usage(t)]
            reason = " ".join(rest[2:])
        else:
            return [_outage_usage(t)]
        assert person.staff is not None
        try:
            correct_outage(
                session=session,
                incident=incident,
                actor=Actor.of(person.staff),
                reason=reason,
                now=now,
                started_at=started,
                ended_at=ended,
                counts=counts,
            )
        except ServiceError as error:
            return [Reply(outage_error_text(t, error), lang=t.lang)]
    correction = correction_of(session, incident)
    outage = outage_of(incident, correction, policy)
    if outage is None and correction is not None and correction.counts is False:
        return [
            Reply(
                t._(
                    "{ref} is left out of availability: {reason}",
                    ref=incident.ref,
                    reason=correction.reason,
                ),
                lang=t.lang,
            )
        ]
    if outage is None:
        return [
            Reply(
                t._(
                    "{ref} records no outage (its priority does not count as down).",
                    ref=incident.ref,
                ),
                lang=t.lang,
            )
        ]
    return [Reply(outage_text(t, outage, now, str(tz)), lang=t.lang)]


def outage_error_text(t: Translator, error: ServiceError) -> str:
    if error.code == "outage_ends_before_start":
        return t._("The outage of {ref} would end before it starts.", **error.params)
    if error.code == "outage_out_of_range":
        return t._(
            "An outage of {ref} can begin at most 31 days before its report, and not in the "
            "future.",
            **error.params,
        )
    return error_text(t, error)


def _outage_usage(t: Translator) -> Reply:
    lines = (
        "/outage REF",
        "/outage REF START|- END|- " + t._("reason"),
        "/outage REF exclude|include " + t._("reason"),
    )
    return Reply(t._("Use:") + "\n" + "\n".join(lines), lang=t.lang)
