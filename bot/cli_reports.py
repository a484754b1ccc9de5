"""``slabot report`` and ``slabot export`` (maintenance and outages: ``bot.cli_maintenance``).

    slabot report compliance --customer acme --period 2026 --format table
    slabot report availability --customer stadtwerke --period 2026-05..2026-10 --format json
    slabot export incidents --customer acme --format csv > acme-incidents.csv
    slabot export events --customer acme --format json

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

from bot.cli_common import cli_translator, fail, write_output
from bot.database import open_database
from bot.settings import Settings
from sla.db import session_scope
from sla.exports import event_columns, export_events, export_incidents, incident_columns, rows_csv
from sla.i18n import Translator
from sla.models import Customer
from sla.report_formats import (
    availability_csv,
    availability_json,
    compliance_csv,
    compliance_json,
)
from sla.report_period import Period, default_period, parse_moment, parse_period
from sla.report_text import compliance_table
from sla.report_text_availability import availability_table
from sla.reports import PeriodInFuture, compliance_report
from sla.reports_availability import NoAvailability, availability_report
from sla.service import policy_of

_ = cli_translator()._

report_app = typer.Typer(
    help=_("Compliance and availability reports, as the contracts define them."),
    no_args_is_help=True,
)
export_app = typer.Typer(
    help=_("A customer's incidents and audit trail, every field (CSV or JSON)."),
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


def who(by: str | None) -> str:
    return by or os.environ.get("USER") or "slabot"


def customer_named(t: Translator, session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id) or session.get(Customer, customer_id.lower())
    if customer is None:
        fail(t._("There is no customer {customer}.", customer=customer_id))
    return customer


def tz_of(customer: Customer) -> ZoneInfo:
    return ZoneInfo(policy_of(customer).doc.calendar.timezone)


def time_in(t: Translator, text: str, tz: ZoneInfo, option: str) -> datetime:
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


def now_or(t: Translator, text: str | None, tz: ZoneInfo) -> datetime:
    return datetime.now(UTC) if text is None else time_in(t, text, tz, "--now")


def period_or(t: Translator, text: str | None, customer: Customer, now: datetime) -> Period:
    policy = policy_of(customer)
    if text is None:
        months = policy.doc.reporting.months if policy.doc.reporting else None
        return default_period(now, tz_of(customer), months)
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
            found = customer_named(t, session, customer)
            moment = now_or(t, now, tz_of(found))
            chosen = period_or(t, period, found, moment)
            try:
                report = compliance_report(session, found, chosen, moment)
            except PeriodInFuture:
                _period_in_future(t, chosen)
            policy = policy_of(found)
    finally:
        engine.dispose()
    if format == ReportFormat.json:
        write_output(_json(compliance_json(report)), output)
    elif format == ReportFormat.csv:
        write_output(compliance_csv(report), output)
    else:
        write_output(compliance_table(t, policy, report) + "\n", output)


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
            found = customer_named(t, session, customer)
            moment = now_or(t, now, tz_of(found))
            chosen = period_or(t, period, found, moment)
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
        write_output(_json(availability_json(report)), output)
    elif format == ReportFormat.csv:
        write_output(availability_csv(report), output)
    else:
        write_output(availability_table(t, policy, report) + "\n", output)


# -- slabot export -------------------------------------------------------------------------


def _export(customer: str, format: ExportFormat, output: Path | None, events: bool) -> None:
    t = cli_translator()
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            found = customer_named(t, session, customer)
            rows = export_events(session, found) if events else export_incidents(session, found)
    finally:
        engine.dispose()
    if format == ExportFormat.json:
        write_output(_json(rows), output)
    else:
        write_output(rows_csv(event_columns() if events else incident_columns(), rows), output)


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
