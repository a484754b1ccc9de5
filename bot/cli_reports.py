"""``slabot report``, ``slabot export``, ``slabot maintenance`` and ``slabot outage``.

    slabot report compliance --customer acme --period 2026 --format table
    slabot report availability --customer stadtwerke --period 2026-05..2026-10 --format json
    slabot export incidents --customer acme --format csv > acme-incidents.csv
    slabot export events --customer acme --format json
    slabot maintenance add --customer acme --start 2026-12-04T22:00 --end 2026-12-04T23:00
    slabot maintenance list --customer acme
    slabot outage correct PLEK-7 --start 2026-10-03T09:40 --reason "monitoring saw it first"

Times without an offset are read in the customer's policy time zone. A mistake (an unknown
customer, a period or time that cannot be read) ends in one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from sqlmodel import Session

from bot.cli_common import cli_translator, fail
from bot.database import open_database
from bot.settings import Settings
from handlers.maintenance import maintenance_error_text
from handlers.reports import outage_error_text
from sla.db import session_scope
from sla.exports import event_columns, export_events, export_incidents, incident_columns, rows_csv
from sla.i18n import Translator
from sla.maintenance import (
    MaintenanceError,
    add_maintenance,
    cancel_maintenance,
    check_notice,
    maintenance_windows,
)
from sla.models import Customer
from sla.outages import correct_outage
from sla.report_formats import (
    availability_csv,
    availability_json,
    compliance_csv,
    compliance_json,
)
from sla.report_period import Period, default_period, parse_moment, parse_period
from sla.report_text import (
    availability_table,
    compliance_table,
    maintenance_text,
    warning_text,
)
from sla.reports import PeriodInFuture, compliance_report
from sla.reports_availability import NoAvailability, availability_report
from sla.service import Actor, ServiceError, find_incident, policy_of

_ = cli_translator()._

report_app = typer.Typer(
    help=_("Compliance and availability reports, as the contracts define them."),
    no_args_is_help=True,
)
export_app = typer.Typer(
    help=_("A customer's incidents and audit trail, every field (CSV or JSON)."),
    no_args_is_help=True,
)
maintenance_app = typer.Typer(
    help=_("Planned maintenance windows, checked against the notice rules."), no_args_is_help=True
)
outage_app = typer.Typer(
    help=_("Correct the outage an incident records (start, end, whether it counts)."),
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


class Language(StrEnum):
    nl = "nl"
    de = "de"
    en = "en"


CustomerOpt = Annotated[str, typer.Option("--customer", help=_("The customer's id."))]
PeriodOpt = Annotated[
    str | None,
    typer.Option(
        "--period",
        help=_(
            "2026-10 (a month), 2026 (a year) or 2026-05..2026-10; default the contract's "
            "reporting window, else this year."
        ),
    ),
]
FormatOpt = Annotated[ReportFormat, typer.Option("--format", help=_("table, csv or json."))]
ExportFormatOpt = Annotated[ExportFormat, typer.Option("--format", help=_("csv or json."))]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help=_("Write to this file, not stdout."))
]
LangOpt = Annotated[
    Language | None,
    typer.Option("--lang", help=_("The language of a table; default $SLABOT_LANG.")),
]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help=_("Report as of this time (ISO 8601); default the present.")),
]
ByOpt = Annotated[
    str | None, typer.Option("--by", help=_("Who makes the change, for the record; default $USER."))
]


def _who(by: str | None) -> str:
    return by or os.environ.get("USER") or "slabot"


def _customer(t: Translator, session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id) or session.get(Customer, customer_id.lower())
    if customer is None:
        fail(t._("There is no customer {customer}.", customer=customer_id))
    return customer


def _tz(customer: Customer) -> ZoneInfo:
    return ZoneInfo(policy_of(customer).doc.calendar.timezone)


def _time(t: Translator, text: str, tz: ZoneInfo, option: str) -> datetime:
    try:
        return parse_moment(text, tz)
    except ValueError:
        fail(
            t._(
                "{option}: '{value}' is not a time (ISO 8601, e.g. 2026-11-24T14:00)",
                option=option,
                value=text,
            )
        )


def _now(t: Translator, text: str | None, tz: ZoneInfo) -> datetime:
    return datetime.now(UTC) if text is None else _time(t, text, tz, "--now")


def _period(t: Translator, text: str | None, customer: Customer, now: datetime) -> Period:
    policy = policy_of(customer)
    if text is None:
        months = policy.doc.reporting.months if policy.doc.reporting else None
        return default_period(now, _tz(customer), months)
    try:
        return parse_period(text)
    except ValueError:
        fail(
            t._(
                "--period: '{value}' is not a period (2026-10, 2026 or 2026-05..2026-10, "
                "at most ten years)",
                value=text,
            )
        )


def _period_in_future(t: Translator, period: Period) -> NoReturn:
    fail(t._("The period {period} has not begun yet.", period=period.label))


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# -- slabot report -------------------------------------------------------------------------


@report_app.command("compliance")
def report_compliance(
    customer: CustomerOpt,
    period: PeriodOpt = None,
    format: FormatOpt = ReportFormat.table,
    output: OutputOpt = None,
    lang: LangOpt = None,
    now: NowOpt = None,
) -> None:
    """Per priority: incidents, the share within the response and resolution targets against
    the contract's compliance target, and every miss with how late it was."""
    t = cli_translator(lang.value if lang else None)
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = _customer(t, session, customer)
            moment = _now(t, now, _tz(found))
            chosen = _period(t, period, found, moment)
            try:
                report = compliance_report(session, found, chosen, moment)
            except PeriodInFuture:
                _period_in_future(t, chosen)
            policy = policy_of(found)
    finally:
        engine.dispose()
    if format == ReportFormat.json:
        _write(_json(compliance_json(report)), output)
    elif format == ReportFormat.csv:
        _write(compliance_csv(report), output)
    else:
        _write(compliance_table(t, policy, report) + "\n", output)


@report_app.command("availability")
def report_availability(
    customer: CustomerOpt,
    period: PeriodOpt = None,
    format: FormatOpt = ReportFormat.table,
    output: OutputOpt = None,
    lang: LangOpt = None,
    now: NowOpt = None,
) -> None:
    """Availability per calendar month in the contract's window, interruptions, and the credits,
    review and termination rights it gives, with the figures behind each."""
    t = cli_translator(lang.value if lang else None)
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = _customer(t, session, customer)
            moment = _now(t, now, _tz(found))
            chosen = _period(t, period, found, moment)
            try:
                report = availability_report(session, found, chosen, moment)
            except PeriodInFuture:
                _period_in_future(t, chosen)
            except NoAvailability:
                fail(
                    t._(
                        "The contract of {customer} ({policy}) promises no availability.",
                        customer=found.name,
                        policy=found.policy,
                    )
                )
            policy = policy_of(found)
    finally:
        engine.dispose()
    if format == ReportFormat.json:
        _write(_json(availability_json(report)), output)
    elif format == ReportFormat.csv:
        _write(availability_csv(report), output)
    else:
        _write(availability_table(t, policy, report) + "\n", output)


# -- slabot export -------------------------------------------------------------------------


def _export(customer: str, format: ExportFormat, output: Path | None, events: bool) -> None:
    t = cli_translator()
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = _customer(t, session, customer)
            rows = export_events(session, found) if events else export_incidents(session, found)
    finally:
        engine.dispose()
    if format == ExportFormat.json:
        _write(_json(rows), output)
    else:
        _write(rows_csv(event_columns() if events else incident_columns(), rows), output)


@export_app.command("incidents")
def export_incidents_command(
    customer: CustomerOpt,
    format: ExportFormatOpt = ExportFormat.csv,
    output: OutputOpt = None,
) -> None:
    """Every incident of the customer with every field, its pauses and outage correction."""
    _export(customer, format, output, events=False)


@export_app.command("events")
def export_events_command(
    customer: CustomerOpt,
    format: ExportFormatOpt = ExportFormat.csv,
    output: OutputOpt = None,
) -> None:
    """The whole audit trail of the customer's incidents."""
    _export(customer, format, output, events=True)


# -- slabot maintenance --------------------------------------------------------------------


@maintenance_app.command("add")
def maintenance_add(
    customer: CustomerOpt,
    start: Annotated[str, typer.Option("--start", help=_("When the work starts (ISO 8601)."))],
    end: Annotated[str, typer.Option("--end", help=_("When the work ends (ISO 8601)."))],
    announced_at: Annotated[
        str | None,
        typer.Option(
            "--announced-at", help=_("When the customer was told (ISO 8601); default now.")
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help=_("What the work is."))] = None,
    by: ByOpt = None,
    now: NowOpt = None,
) -> None:
    """Record a maintenance window; warns when it breaks the contract's notice rules."""
    t = cli_translator()
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = _customer(t, session, customer)
            tz = _tz(found)
            moment = _now(t, now, tz)
            try:
                window, warnings = add_maintenance(
                    session=session,
                    customer=found,
                    starts_at=_time(t, start, tz, "--start"),
                    ends_at=_time(t, end, tz, "--end"),
                    announced_at=None
                    if announced_at is None
                    else _time(t, announced_at, tz, "--announced-at"),
                    note=note,
                    recorded_by=_who(by),
                    now=moment,
                )
            except MaintenanceError as error:
                fail(maintenance_error_text(t, error))
            line = maintenance_text(t, window, str(tz))
    finally:
        engine.dispose()
    typer.echo(t._("Recorded for {customer}: {window}", customer=found.name, window=line))
    for warning in warnings:
        typer.echo(t._("Warning: {text}", text=warning_text(t, warning, str(tz))), err=True)


@maintenance_app.command("list")
def maintenance_list(
    customer: CustomerOpt,
    period: Annotated[
        str | None, typer.Option("--period", help=_("Only windows in this period."))
    ] = None,
    cancelled: Annotated[
        bool, typer.Option("--cancelled", help=_("Show cancelled windows too."))
    ] = False,
) -> None:
    """The customer's maintenance windows, each with the notice rules it breaks."""
    t = cli_translator()
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = _customer(t, session, customer)
            tz = _tz(found)
            start = end = None
            if period is not None:
                chosen = _period(t, period, found, datetime.now(UTC))
                start, end = chosen.start(tz), chosen.end(tz)
            windows = maintenance_windows(
                session, found.id, start=start, end=end, cancelled=cancelled
            )
    finally:
        engine.dispose()
    policy = policy_of(found)
    if not windows:
        typer.echo(t._("No maintenance windows recorded for {customer}.", customer=found.name))
    for window in windows:
        typer.echo(maintenance_text(t, window, str(tz)))
        for warning in check_notice(policy, window):
            typer.echo("  " + t._("Warning: {text}", text=warning_text(t, warning, str(tz))))


@maintenance_app.command("cancel")
def maintenance_cancel(
    customer: CustomerOpt,
    window_id: Annotated[int, typer.Argument(help=_("The window's number, as listed."))],
    by: ByOpt = None,
) -> None:
    """Cancel a maintenance window (it stays on record as cancelled)."""
    t = cli_translator()
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = _customer(t, session, customer)
            try:
                window = cancel_maintenance(
                    session=session,
                    customer=found,
                    window_id=window_id,
                    cancelled_by=_who(by),
                    now=datetime.now(UTC),
                )
            except MaintenanceError as error:
                fail(maintenance_error_text(t, error))
            line = maintenance_text(t, window, str(_tz(found)))
    finally:
        engine.dispose()
    typer.echo(line)


# -- slabot outage -------------------------------------------------------------------------


@outage_app.command("correct")
def outage_correct(
    ref: Annotated[str, typer.Argument(help=_("The incident, e.g. PLEK-7."))],
    reason: Annotated[str, typer.Option("--reason", help=_("Why, for the audit trail."))],
    start: Annotated[
        str | None, typer.Option("--start", help=_("When the outage really began (ISO 8601)."))
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help=_("When the outage really ended (ISO 8601)."))
    ] = None,
    counts: Annotated[
        bool | None,
        typer.Option(
            "--counts/--not-counted",
            help=_("Count it as an outage whatever its priority, or leave it out."),
        ),
    ] = None,
    by: ByOpt = None,
) -> None:
    """Correct the outage an incident records; what is not given stays as it was."""
    t = cli_translator()
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            incident = find_incident(session, ref)
            if incident is None:
                fail(t._("There is no incident {ref}.", ref=ref))
            found = session.get(Customer, incident.customer_id)
            assert found is not None
            tz = _tz(found)
            try:
                correct_outage(
                    session=session,
                    incident=incident,
                    actor=Actor("staff", None, _who(by)),
                    reason=reason,
                    now=datetime.now(UTC),
                    started_at=None if start is None else _time(t, start, tz, "--start"),
                    ended_at=None if end is None else _time(t, end, tz, "--end"),
                    counts=counts,
                )
            except ServiceError as error:
                fail(outage_error_text(t, error))
    finally:
        engine.dispose()
    typer.echo(t._("The outage of {ref} is corrected.", ref=incident.ref))
