"""``slabot sla ...`` through typer's test runner, and once through a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from sla.policy import POLICY_DIR, builtin_ids, builtin_policy

ROOT = Path(__file__).resolve().parents[2]
PLEK = POLICY_DIR / "plek.yaml"


def plain(text: str) -> str:
    """Output with its en dashes (between times and weekdays) written as hyphens."""
    return text.replace("\u2013", "-")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"SLABOT_LANG": "en"})


def _deadlines(runner: CliRunner, *args: str) -> dict[str, str | None]:
    result = runner.invoke(app, ["sla", "deadlines", *args])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data: dict[str, str | None] = json.loads(result.stdout)
    return data


def _plek_with(tmp_path: Path, name: str, change: dict[str, object]) -> Path:
    data = yaml.safe_load(PLEK.read_text(encoding="utf-8"))
    data["priorities"]["P1"]["resolution"].update(change)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# -- list and check --------------------------------------------------------------------------------


def test_list_shows_every_builtin_policy_with_name_and_contract(runner: CliRunner) -> None:
    """Each built-in policy is one line: its id, its name and the contract it comes from."""
    result = runner.invoke(app, ["sla", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(builtin_ids())
    assert {"plek", "pluvo", "klik", "perplex", "infravision"} <= set(builtin_ids())
    plek = next(line for line in lines if line.startswith("plek "))
    assert "Plek Group BV" in plek
    assert "Plek Service Level Agreement v2.1" in plek


def test_check_accepts_good_files(runner: CliRunner, tmp_path: Path) -> None:
    """Valid files each get an OK line and the exit code is 0."""
    copy = tmp_path / "mine.yaml"
    copy.write_text(PLEK.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["sla", "check", str(PLEK), str(copy)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"OK {PLEK}", f"OK {copy}"]
    assert result.stderr == ""


def test_check_prints_every_error_of_every_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    """Bad files exit 1 with each of their error lines on stderr; good files still say OK."""
    hourz = _plek_with(tmp_path, "hourz.yaml", {"within": "4 hourz"})
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["sla", "check", str(hourz), str(PLEK), str(broken)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"OK {PLEK}"]
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("hourz.yaml:")
    assert 'priorities.P1.resolution.within: "4 hourz" is not a duration' in errors[0]
    assert errors[1].startswith("broken.yaml:") and "not valid YAML" in errors[1]


def test_a_file_that_is_not_utf8_is_one_error_and_the_others_are_checked(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A policy saved in Latin-1 (é, ü): named in one line; check goes on with the rest, and
    deadlines refuses it with exit 2."""
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: café\n".encode("latin-1"))
    result = runner.invoke(app, ["sla", "check", str(latin), str(PLEK)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"OK {PLEK}"]
    assert result.stderr.strip() == f"{latin}: cannot be read (not UTF-8 text)"
    when = ["--reported-at", "2026-11-24T10:00"]
    refused = runner.invoke(app, ["sla", "deadlines", str(latin), "P1", *when])
    assert refused.exit_code == 2 and refused.stderr.strip().count("\n") == 0


# -- deadlines -------------------------------------------------------------------------------------


def test_deadlines_prints_one_json_object_in_the_policy_zone(runner: CliRunner) -> None:
    """Plek P1 at 14:00 is due at 18:00, closing time; Plek promises no response time."""
    assert _deadlines(runner, "plek", "P1", "--reported-at", "2026-11-24T14:00") == {
        "policy": "plek",
        "priority": "P1",
        "reported_at": "2026-11-24T14:00:00+01:00",
        "response_due": None,
        "resolution_due": "2026-11-24T18:00:00+01:00",
    }


def test_deadlines_reads_a_time_with_offset_as_that_instant(runner: CliRunner) -> None:
    """13:00Z is 14:00 in Amsterdam in November, and is shown with the local offset."""
    data = _deadlines(runner, "plek", "P1", "--reported-at", "2026-11-24T13:00:00Z")
    assert data["reported_at"] == "2026-11-24T14:00:00+01:00"
    assert data["resolution_due"] == "2026-11-24T18:00:00+01:00"


def test_deadlines_takes_the_path_of_a_policy_file(runner: CliRunner, tmp_path: Path) -> None:
    """A path names a policy file outside the built-ins, read with its own rules."""
    path = _plek_with(tmp_path, "plek-2h.yaml", {"within": "2h"})
    data = _deadlines(runner, str(path), "P1", "--reported-at", "2026-11-24T14:00")
    assert data["resolution_due"] == "2026-11-24T16:00:00+01:00"


def test_deadlines_skips_paused_stretches(runner: CliRunner) -> None:
    """Two paused office hours on Wednesday move Plek P2 (3 workdays) two hours later."""
    base = ["plek", "P2", "--reported-at", "2026-11-24T14:00"]
    assert _deadlines(runner, *base)["resolution_due"] == "2026-11-27T14:00:00+01:00"
    paused = _deadlines(runner, *base, "--paused", "2026-11-25T10:00/2026-11-25T12:00")
    assert paused["resolution_due"] == "2026-11-27T16:00:00+01:00"


def test_deadlines_starts_infravision_resolution_at_the_root_cause(runner: CliRunner) -> None:
    """Infravision's resolution clock waits for the root cause; without it there is no due time."""
    base = ["infravision", "High", "--reported-at", "2026-11-24T14:00"]
    waiting = _deadlines(runner, *base)
    assert waiting["response_due"] == "2026-11-25T14:00:00+01:00"
    assert waiting["resolution_due"] is None
    started = _deadlines(runner, *base, "--root-cause-at", "2026-11-24T16:00")
    assert started["resolution_due"] == "2026-11-26T16:00:00+01:00"


def test_deadlines_takes_a_root_cause_from_the_moment_of_the_report(runner: CliRunner) -> None:
    """The root cause may be known as the report arrives, or later in another offset: only a
    root cause before the report is refused (see BAD_REQUESTS)."""
    base = ["infravision", "Top", "--reported-at", "2025-03-04T10:00"]
    at_once = _deadlines(runner, *base, "--root-cause-at", "2025-03-04T10:00")
    assert at_once["resolution_due"] == "2025-03-04T14:00:00+01:00"
    in_utc = _deadlines(runner, *base, "--root-cause-at", "2025-03-04T09:30Z")  # 10:30 local
    assert in_utc["resolution_due"] == "2025-03-04T14:30:00+01:00"


def test_deadlines_lets_a_first_class_customer_use_prio1(runner: CliRunner) -> None:
    """Perplex Prio1 is allowed for the tier that may use it."""
    data = _deadlines(
        runner, "perplex", "Prio1", "--reported-at", "2026-11-24T14:00", "--tier", "first_class"
    )
    assert data["resolution_due"] is not None


BAD_REQUESTS = [
    (["nope", "P1", "--reported-at", "2026-11-24T14:00"], "unknown policy nope"),
    (["missing.yaml", "P1", "--reported-at", "2026-11-24T14:00"], "missing.yaml does not exist"),
    (["plek", "P9", "--reported-at", "2026-11-24T14:00"], "has no priority or request type 'P9'"),
    (
        ["perplex", "Prio1", "--reported-at", "2026-11-24T14:00", "--tier", "standard"],
        "Prio1 under perplex is only for tier first_class, not standard",
    ),
    (
        ["perplex", "Prio2", "--reported-at", "2026-11-24T14:00", "--tier", "gold"],
        "policy perplex has no tier 'gold'",
    ),
    (["plek", "P1", "--reported-at", "2026-13-01T10:00"], "'2026-13-01T10:00' is not a time"),
    (["plek", "P1", "--reported-at", "tomorrow"], "--reported-at: 'tomorrow' is not a time"),
    (
        ["infravision", "High", "--reported-at", "2026-11-24T14:00", "--root-cause-at", "soon"],
        "--root-cause-at: 'soon' is not a time",
    ),
    (  # the root cause is recorded after the report, never before it
        [
            "infravision",
            "Top",
            "--reported-at",
            "2025-03-04T10:00",
            "--root-cause-at",
            "2025-03-04T09:00",
        ],
        "--root-cause-at: '2025-03-04T09:00' is before --reported-at '2025-03-04T10:00'",
    ),
    (  # the same instant written with an offset: 09:30 UTC is 10:30 in Amsterdam
        [
            "infravision",
            "Top",
            "--reported-at",
            "2025-03-04T10:45",
            "--root-cause-at",
            "2025-03-04T09:30Z",
        ],
        "--root-cause-at: '2025-03-04T09:30Z' is before --reported-at '2025-03-04T10:45'",
    ),
    (
        ["plek", "P1", "--reported-at", "2026-11-24T14:00", "--paused", "2026-11-24T16:00"],
        "is not a pause FROM/TO",
    ),
    (
        [
            "plek",
            "P1",
            "--reported-at",
            "2026-11-24T14:00",
            "--paused",
            "2026-11-24T16:00/2026-11-24T15:00",
        ],
        "'2026-11-24T16:00/2026-11-24T15:00' ends before it starts",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_REQUESTS)
@pytest.mark.parametrize("command", ["deadlines", "explain"])
def test_a_bad_request_exits_2_with_one_line(
    runner: CliRunner, command: str, args: list[str], message: str
) -> None:
    """Each mistake ends in exit code 2 and exactly one clear line on stderr, no traceback."""
    result = runner.invoke(app, ["sla", command, *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


def test_an_invalid_policy_file_is_one_line_too(runner: CliRunner, tmp_path: Path) -> None:
    """A broken policy file names its first error and how to see all of them."""
    path = _plek_with(tmp_path, "two.yaml", {"within": "4 hourz", "clock": "sometimes"})
    args = ["sla", "deadlines", str(path), "P1", "--reported-at", "2026-11-24"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("two.yaml:") and f"1 more error: see slabot sla check {path}" in line


def test_errors_speak_the_language_of_slabot_lang() -> None:
    """``SLABOT_LANG`` translates the error lines of the command line."""
    dutch = CliRunner(env={"SLABOT_LANG": "nl_NL.UTF-8"})
    result = dutch.invoke(app, ["sla", "deadlines", "nope", "P1", "--reported-at", "2026-11-24"])
    assert result.exit_code == 2
    assert result.stderr.startswith("onbekende policy nope: de ingebouwde policies zijn ")


def test_a_missing_option_is_a_usage_error(runner: CliRunner) -> None:
    """Typer's own usage errors exit 2 as well."""
    result = runner.invoke(app, ["sla", "deadlines", "plek", "P1"])
    assert result.exit_code == 2
    assert "--reported-at" in result.stderr


# -- explain ---------------------------------------------------------------------------------------

PLEK_P2 = ["sla", "explain", "plek", "P2", "--reported-at", "2026-11-24T14:00"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "nl",
            [
                "Plek Group BV (plek): Prioriteit 2 (P2)",
                "Gedeeltelijke onbeschikbaarheid van de dienst (artikel 2.2.4)",
                "Kantoortijden: ma-vr 08:30-18:00",
                "Reactietijd: geen termijn (artikel 2.2.4)",
                "Oplostijd: 3 werkdagen (artikel 2.2.4)",
                "Een werkdag is 9 uur 30 minuten kantoortijd.",
                "Start: di 24 nov 14:00",
                "di 24 nov 14:00-18:00, totaal 4 uur",
                "wo 25 nov 08:30-18:00, totaal 13 uur 30 minuten",
                "vr 27 nov 08:30-14:00, totaal 28 uur 30 minuten",
                "Uiterlijk: vr 27 nov 14:00",
            ],
        ),
        (
            "de",
            [
                "Plek Group BV (plek): Priorität 2 (P2)",
                "Der Dienst ist teilweise nicht verfügbar (Ziffer 2.2.4)",
                "Reaktionszeit: keine Frist (Ziffer 2.2.4)",
                "Lösungszeit: 3 Arbeitstage (Ziffer 2.2.4)",
                "Mi. 25. Nov. 08:30-18:00, gesamt 13 Stunden 30 Minuten",
                "Fällig: Fr. 27. Nov. 14:00",
            ],
        ),
        (
            "en",
            [
                "Plek Group BV (plek): Priority 2 (P2)",
                "The service is partly unavailable (clause 2.2.4)",
                "Calendar: Europe/Amsterdam (clause 2.2.2)",
                "Resolution: 3 workdays (clause 2.2.4)",
                "Wed 25 Nov 08:30-18:00, total 13 hours 30 minutes",
                "Due: Fri 27 Nov 14:00",
            ],
        ),
    ],
)
def test_explain_shows_clause_calendar_and_stretches(
    runner: CliRunner, lang: str, expected: list[str]
) -> None:
    """The explanation names the rule and its clause and adds up the office stretches."""
    result = runner.invoke(app, [*PLEK_P2, "--lang", lang])
    assert result.exit_code == 0, result.stderr
    lines = [line.strip() for line in plain(result.stdout).splitlines()]
    for line in expected:
        assert line in lines


def test_explain_speaks_the_policy_language_by_default() -> None:
    """Without ``--lang`` or ``SLABOT_LANG`` a German contract is explained in German, with
    the 24x7 clock named; with ``SLABOT_LANG=en`` in English, as the command line speaks."""
    args = ["sla", "explain", "pluvo", "P1", "--reported-at", "2026-11-24T14:00"]
    result = CliRunner(env={"SLABOT_LANG": ""}).invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "24 Stunden, die Uhr läuft immer" in result.stdout
    assert "Di. 24. Nov. 14:00 - Mi. 25. Nov. 14:00, gesamt 24 Stunden" in plain(result.stdout)
    english = CliRunner(env={"SLABOT_LANG": "en"}).invoke(app, args)
    assert "Tue 24 Nov 14:00 - Wed 25 Nov 14:00, total 24 hours" in plain(english.stdout)
    calendar = ["sla", "calendar", "plek", "--year", "2027"]
    assert "Koningsdag" in CliRunner(env={"SLABOT_LANG": ""}).invoke(app, calendar).stdout
    assert "King's Day" in CliRunner(env={"SLABOT_LANG": "en"}).invoke(app, calendar).stdout


def test_explain_says_whether_the_report_was_inside_office_hours(runner: CliRunner) -> None:
    """Where targets differ inside and outside office hours, the report's side is stated."""
    klik = ["sla", "explain", "klik", "P2", "--lang", "en", "--reported-at"]
    inside = runner.invoke(app, [*klik, "2026-11-24T16:59"]).stdout
    outside = runner.invoke(app, [*klik, "2026-11-24T17:00"]).stdout
    assert "Reported: Tue 24 Nov 16:59, inside office hours" in inside
    assert "Reported: Tue 24 Nov 17:00, outside office hours" in outside
    plek = runner.invoke(app, [*PLEK_P2, "--lang", "en"]).stdout
    assert "Reported: Tue 24 Nov 14:00\n" in plek


def test_explain_names_holidays_and_pauses_on_the_way(runner: CliRunner) -> None:
    """Holidays before the last deadline are listed and a pause shows in the stretches."""
    args = ["sla", "explain", "plek", "P2", "--reported-at", "2026-12-23T14:00", "--lang", "en"]
    result = runner.invoke(app, [*args, "--paused", "2026-12-24T10:00/2026-12-24T12:00"])
    assert result.exit_code == 0, result.stderr
    output = plain(result.stdout)
    assert "Fri 25 Dec 2026 Christmas Day" in output
    assert "Paused: Thu 24 Dec 10:00-12:00" in output
    assert "Thu 24 Dec 12:00-18:00, total 11 hours 30 minutes" in output
    assert "Due: Tue 29 Dec 16:00" in output


# -- calendar --------------------------------------------------------------------------------------


def test_calendar_lists_the_dutch_holidays_of_2026(runner: CliRunner) -> None:
    """King's Day 2026 is Monday 27 April, and April has 19 working days at Plek."""
    result = runner.invoke(app, ["sla", "calendar", "plek", "--year", "2026", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    lines = [" ".join(line.split()) for line in plain(result.stdout).splitlines()]
    assert "Mon 27 Apr 2026 King's Day" in lines
    assert "Sun 5 Apr 2026 Easter Sunday (not an office day anyway)" in lines
    assert "April 19" in lines
    assert "Monday 08:30-18:00" in lines
    assert "Saturday closed" in lines
    assert not any("Liberation Day" in line for line in lines)


def test_calendar_names_holidays_in_the_chosen_language(runner: CliRunner) -> None:
    """Dutch holiday names come from the holidays package in Dutch."""
    result = runner.invoke(app, ["sla", "calendar", "plek", "--year", "2025", "--lang", "nl"])
    assert result.exit_code == 0, result.stderr
    assert "Bevrijdingsdag" in result.stdout
    assert "Koningsdag" in result.stdout


# -- the real entry point --------------------------------------------------------------------------


def test_python_m_bot_cli_runs_the_command_line() -> None:
    """``python -m bot.cli`` is the same program as the ``slabot`` script."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "sla",
            "deadlines",
            "plek",
            "P1",
            "--reported-at",
            "2026-11-24T14:00",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["resolution_due"] == "2026-11-24T18:00:00+01:00"


@pytest.mark.parametrize("policy_id", builtin_ids())
def test_explain_handles_every_kind_of_every_builtin_policy(
    runner: CliRunner, policy_id: str
) -> None:
    """Every priority and request type can be explained in each language, day and night."""
    policy = builtin_policy(policy_id)
    tier = ["--tier", policy.doc.tiers[-1]] if policy.doc.tiers else []
    for key in policy.kinds:
        for lang in ("nl", "de", "en"):
            for when in ("2026-11-24T14:00", "2026-11-28T03:00"):
                args = ["sla", "explain", policy_id, key, "--reported-at", when, "--lang", lang]
                result = runner.invoke(app, [*args, "--root-cause-at", "2026-11-30T10:00", *tier])
                assert result.exit_code == 0, (key, lang, when, result.stderr)
