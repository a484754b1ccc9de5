"""``slabot maintenance`` and ``slabot outage``: what staff record that availability depends on.

    slabot maintenance add --customer acme --start 2026-12-04T22:00 --end 2026-12-04T23:00
    slabot maintenance list --customer acme
    slabot maintenance cancel --customer acme 3
    slabot outage correct PLEK-7 --start 2026-10-03T09:40 --reason "monitoring saw it first"

Times without an offset are read in the customer's policy time zone. A mistake ends in one line on
stderr and exit code 2.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli_common import cli_translator, fail
from bot.cli_reports import (
    ByOpt,
    CustomerOpt,
    NowOpt,
    customer_named,
    now_or,
    period_or,
    time_in,
    tz_of,
    who,
)
from bot.database import open_database
from bot.settings import Settings
from handlers.maintenance import maintenance_error_text
from handlers.reports import outage_error_text
from sla.db import session_scope
from sla.maintenance import (
    MaintenanceError,
    add_maintenance,
    cancel_maintenance,
    check_notice,
    maintenance_windows,
)
from sla.models import Customer
from sla.outages import correct_outage
from sla.report_text_availability import maintenance_text, warning_text
from sla.service import Actor, ServiceError, find_incident, policy_of

_ = cli_translator()._

maintenance_app = typer.Typer(
    help=_("Planned maintenance windows, checked against the notice rules."), no_args_is_help=True
)
outage_app = typer.Typer(
    help=_("Correct the outage an incident records (start, end, whether it counts)."),
    no_args_is_help=True,
)


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
            found = customer_named(t, session, customer)
            tz = tz_of(found)
            moment = now_or(t, now, tz)
            try:
                window, warnings = add_maintenance(
                    session=session,
                    customer=found,
                    starts_at=time_in(t, start, tz, "--start"),
                    ends_at=time_in(t, end, tz, "--end"),
                    announced_at=None
                    if announced_at is None
                    else time_in(t, announced_at, tz, "--announced-at"),
                    note=note,
                    recorded_by=who(by),
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
            found = customer_named(t, session, customer)
            tz = tz_of(found)
            start = end = None
            if period is not None:
                chosen = period_or(t, period, found, datetime.now(UTC))
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
            found = customer_named(t, session, customer)
            try:
                window = cancel_maintenance(
                    session=session,
                    customer=found,
                    window_id=window_id,
                    cancelled_by=who(by),
                    now=datetime.now(UTC),
                )
            except MaintenanceError as error:
                fail(maintenance_error_text(t, error))
            line = maintenance_text(t, window, str(tz_of(found)))
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
            tz = tz_of(found)
            try:
                correct_outage(
                    session=session,
                    incident=incident,
                    actor=Actor("staff", None, who(by)),
                    reason=reason,
                    now=datetime.now(UTC),
                    started_at=None if start is None else time_in(t, start, tz, "--start"),
                    ended_at=None if end is None else time_in(t, end, tz, "--end"),
                    counts=counts,
                )
            except ServiceError as error:
                fail(outage_error_text(t, error))
    finally:
        engine.dispose()
    typer.echo(t._("The outage of {ref} is corrected.", ref=incident.ref))
