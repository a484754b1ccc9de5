"""``slabot maintenance`` and ``slabot outage`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.desk import october_database

runner = CliRunner()
NOW = ["--now", "2026-11-24T10:00"]


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo directory and two Plek incidents in October 2026 (one 9-hour P1 outage)."""
    url = f"sqlite:///{tmp_path / 'maintenance.sqlite3'}"
    monkeypatch.setenv("SLABOT_DATABASE_URL", url)
    monkeypatch.setenv("SLABOT_LANG", "en")
    october_database(url)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "maintenance",
                "add",
                "--customer",
                "acme",
                "--start",
                "2026-12-01T23:00",
                "--end",
                "2026-12-01T22:00",
            ],
            "The window ends before it starts.",
        ),
        (
            ["maintenance", "cancel", "--customer", "acme", "7"],
            "There is no maintenance window #7.",
        ),
        (["outage", "correct", "PLEK-99", "--reason", "x"], "There is no incident PLEK-99."),
        (
            ["outage", "correct", "PLEK-1", "--reason", "x", "--end", "2026-10-06T07:00"],
            "The outage of PLEK-1 would end before it starts.",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    """Each mistake: exit code 2 and exactly one line on stderr."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_maintenance_add_warns_then_list_and_cancel() -> None:
    """A window 4 workdays ahead is recorded with a warning (Plek: 5); list repeats it."""
    added = runner.invoke(
        app,
        [
            "maintenance",
            "add",
            "--customer",
            "acme",
            "--start",
            "2026-11-30T22:00",
            "--end",
            "2026-11-30T23:00",
            "--note",
            "database",
            *NOW,
        ],
    )
    assert added.exit_code == 0
    assert "Recorded for Acme Media BV: #1 Mon 30 Nov 22:00 to Mon 30 Nov 23:00" in added.output
    assert "Warning: Announced 4.8 workdays ahead; the contract asks 5 (2.4.1)" in added.output
    listed = runner.invoke(app, ["maintenance", "list", "--customer", "acme"])
    assert "#1 Mon 30 Nov 22:00" in listed.output and "Warning:" in listed.output
    assert runner.invoke(app, ["maintenance", "cancel", "--customer", "acme", "1"]).exit_code == 0
    empty = runner.invoke(app, ["maintenance", "list", "--customer", "acme"])
    assert empty.output.strip() == "No maintenance windows recorded for Acme Media BV."
    assert (
        "cancelled"
        in runner.invoke(app, ["maintenance", "list", "--customer", "acme", "--cancelled"]).output
    )


def test_outage_correction_changes_the_figures() -> None:
    """Leaving PLEK-1's outage out makes October 100 %; the event names who did it."""
    done = runner.invoke(
        app,
        [
            "outage",
            "correct",
            "PLEK-1",
            "--not-counted",
            "--reason",
            "force majeure",
            "--by",
            "lisa",
        ],
    )
    assert done.exit_code == 0 and done.output.strip() == "The outage of PLEK-1 is corrected."
    data = json.loads(
        runner.invoke(
            app,
            [
                "report",
                "availability",
                "--customer",
                "acme",
                "--period",
                "2026-10",
                "--format",
                "json",
                *NOW,
            ],
        ).output
    )
    assert data["months"][0]["windows"][0]["percent"] == 100.0 and data["rights"] == []
    events = json.loads(
        runner.invoke(app, ["export", "events", "--customer", "acme", "--format", "json"]).output
    )
    assert (events[-1]["kind"], events[-1]["actor_name"]) == ("outage_corrected", "lisa")
