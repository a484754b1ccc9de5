"""``slabot report`` and ``slabot export`` through the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
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
    url = f"sqlite:///{tmp_path / 'reports.sqlite3'}"
    monkeypatch.setenv("SLABOT_DATABASE_URL", url)
    monkeypatch.setenv("SLABOT_LANG", "en")
    october_database(url)


def test_compliance_in_three_formats() -> None:
    """A table for people, JSON and CSV for machines, all from the same figures."""
    table = runner.invoke(
        app, ["report", "compliance", "--customer", "acme", "--period", "2026-10", *NOW]
    )
    assert table.exit_code == 0, table.output
    assert "P1 · Priority 1" in table.output and "1 miss" in table.output
    data = json.loads(
        runner.invoke(
            app,
            [
                "report",
                "compliance",
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
    assert data["targets"][0]["resolution"]["percent"] == 50.0
    rows = list(
        csv.DictReader(
            io.StringIO(
                runner.invoke(
                    app,
                    [
                        "report",
                        "compliance",
                        "--customer",
                        "acme",
                        "--period",
                        "2026-10",
                        "--format",
                        "csv",
                        *NOW,
                    ],
                ).output
            )
        )
    )
    # October: PLEK-1 (P1) resolved 4 h 30 min late, PLEK-2 (P2) within its 3 workdays: 0 of 1
    # and 1 of 1 per priority; the year's P1+P2 pool so far is those two, 1 of 2 = 50.0 %, not
    # more than 80 %. Then the incidents as evidence.
    columns = [
        "row",
        "priority",
        "priorities",
        "incidents",
        "resolution_met",
        "resolution_missed",
        "resolution_percent",
        "met",
    ]
    assert [tuple(r[c] for c in columns) for r in rows if r["row"] != "incident"] == [
        ("priority", "P1", "", "1", "0", "1", "0.0", ""),
        ("priority", "P2", "", "1", "1", "0", "100.0", ""),
        ("priority", "P3", "", "0", "0", "0", "", ""),
        ("priority", "P4", "", "0", "0", "0", "", ""),
        ("target", "", "P1 P2", "2", "1", "1", "50.0", "false"),
    ]
    assert [(r["ref"], r["resolution_status"]) for r in rows if r["row"] == "incident"] == [
        ("PLEK-1", "missed"),
        ("PLEK-2", "met"),
    ]


def test_a_compliance_csv_of_an_empty_month_to_a_file(tmp_path: Path) -> None:
    """September 2026 has no Plek incidents: the header, every priority with 0 incidents and no
    share, and the yearly target, judged over 2026 so far (October's 1 of 2, 50.0 %): not met."""
    out = tmp_path / "september.csv"
    result = runner.invoke(
        app,
        [
            "report",
            "compliance",
            "--customer",
            "acme",
            "--period",
            "2026-09",
            "--format",
            "csv",
            "-o",
            str(out),
            *NOW,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [
        (r["row"], r["priority"], r["priorities"], r["incidents"], r["resolution_percent"])
        for r in rows
    ] == [
        ("priority", "P1", "", "0", ""),
        ("priority", "P2", "", "0", ""),
        ("priority", "P3", "", "0", ""),
        ("priority", "P4", "", "0", ""),
        ("target", "", "P1 P2", "2", "50.0"),
    ]
    assert (rows[-1]["period"], rows[-1]["to_date"], rows[-1]["met"]) == ("2026", "true", "false")


def test_availability_table_in_dutch_and_json_to_a_file(tmp_path: Path) -> None:
    """--lang words the table; --output writes the JSON to a file."""
    args = ["report", "availability", "--customer", "acme", "--period", "2026-10", *NOW]
    dutch = runner.invoke(app, [*args, "--lang", "nl"])
    assert dutch.exit_code == 0 and "Beschikbaarheid" in dutch.output and "98,791 %" in dutch.output
    out = tmp_path / "availability.json"
    assert runner.invoke(app, [*args, "--format", "json", "-o", str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    assert data["rights"][0]["right"] == "credit"
    # Every time in the policy's zone, the outages' too (they were in UTC).
    times = [data["start"]] + [t for o in data["outages"] for t in (o["started_at"], o["ended_at"])]
    assert data["outages"] and all(t.endswith(("+01:00", "+02:00")) for t in times if t)


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """-o naming a folder or a path in a missing folder: one line, exit 1, no traceback."""
    args = ["report", "compliance", "--customer", "acme", "--period", "2026-10", *NOW]
    for target in (tmp_path, tmp_path / "missing" / "c.csv"):
        result = runner.invoke(app, [*args, "-o", str(target)], env={"SLABOT_LANG": "en"})
        assert result.exit_code == 1
        assert result.stderr.strip() == f"{target} cannot be written: " + (
            "Is a directory" if target == tmp_path else "No such file or directory"
        )
    exported = runner.invoke(
        app, ["export", "incidents", "--customer", "acme", "-o", str(tmp_path)]
    )
    assert exported.exit_code == 1 and "Traceback" not in exported.output


def test_a_range_and_the_default_period() -> None:
    """2026-05..2026-10 lists six months; no --period is this year so far for Plek."""
    ranged = runner.invoke(
        app,
        [
            "report",
            "availability",
            "--customer",
            "acme",
            "--period",
            "2026-05..2026-10",
            "--format",
            "json",
            *NOW,
        ],
    )
    assert len(json.loads(ranged.output)["months"]) == 6
    default = runner.invoke(
        app, ["report", "availability", "--customer", "acme", "--format", "json", *NOW]
    )
    assert json.loads(default.output)["period"] == "2026"
    assert len(json.loads(default.output)["months"]) == 11


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "compliance", "--customer", "nobody"], "There is no customer nobody."),
        (
            ["report", "compliance", "--customer", "acme", "--period", "2026-13"],
            "--period: '2026-13' is not a period (2026-10, 2026 or 2026-05..2026-10, at most "
            "ten years)",
        ),
        (
            ["report", "compliance", "--customer", "acme", "--period", "2027", *NOW],
            "The period 2027 has not begun yet.",
        ),
        (
            ["report", "availability", "--customer", "zorggroep"],
            "The contract of Zorggroep Oost (perplex) promises no availability.",
        ),
        (
            ["report", "compliance", "--customer", "acme", "--now", "soon"],
            "--now: 'soon' is not a time (ISO 8601, e.g. 2026-11-24T14:00)",
        ),
        (["export", "events", "--customer", "nobody"], "There is no customer nobody."),
    ],
)
def test_mistakes_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    """Each mistake: exit code 2 and exactly one line on stderr."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_a_bad_format_is_a_usage_error() -> None:
    """--format pdf is refused by the option itself (exit 2)."""
    result = runner.invoke(app, ["report", "compliance", "--customer", "acme", "--format", "pdf"])
    assert result.exit_code == 2


def test_exports_in_csv_and_json() -> None:
    """export incidents (CSV by default) and events (JSON) for one customer."""
    incidents = runner.invoke(app, ["export", "incidents", "--customer", "acme"])
    rows = list(csv.DictReader(io.StringIO(incidents.output)))
    assert [r["ref"] for r in rows] == ["PLEK-1", "PLEK-2"] and rows[0]["reporter_handle"] == "anna"
    events = json.loads(
        runner.invoke(app, ["export", "events", "--customer", "acme", "--format", "json"]).output
    )
    assert [e["kind"] for e in events] == ["reported", "resolved", "reported", "resolved"]


def test_the_demo_console_names_the_attachments(tmp_path: Path) -> None:
    """In ``slabot demo`` a report's chart and CSVs are listed under its text."""
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SLABOT_LANG": "en",
    }
    env.pop("SLABOT_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--reset", "--now", "2026-11-24T10:00+01:00"],
        input="/as support\n/report acme 2026-11\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
        check=True,
        timeout=120,
    )
    assert "Report · Acme Media BV · Nov 2026" in result.stdout
    assert "(attached: acme-2026-11.png," in result.stdout
    assert "(attached: acme-2026-11-availability.csv," in result.stdout
