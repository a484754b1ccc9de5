"""The ``slabot`` command line (typer); ``main`` is the console script."""

from __future__ import annotations

import typer

from bot.cli_common import cli_translator
from bot.cli_demo import demo
from bot.cli_directory import app as directory_app
from bot.cli_directory import db_app
from bot.cli_maintenance import maintenance_app, outage_app
from bot.cli_outbox import app as outbox_app
from bot.cli_reports import export_app, report_app
from bot.cli_run import run
from bot.cli_sla import app as sla_app
from bot.cli_timers import app as timers_app

_ = cli_translator()._  # help texts, in the language of $SLABOT_LANG

app = typer.Typer(
    name="slabot",
    help=_("slabot: service-level agreements as incident deadlines and chat workflows."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sla_app, name="sla")
app.add_typer(directory_app, name="directory")
app.add_typer(db_app, name="db")
app.add_typer(timers_app, name="timers")
app.add_typer(outbox_app, name="outbox")
app.add_typer(report_app, name="report")
app.add_typer(export_app, name="export")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(outage_app, name="outage")
app.command("demo")(demo)
app.command("run")(run)


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
