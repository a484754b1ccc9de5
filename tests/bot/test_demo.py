"""``slabot demo`` end to end: a script on stdin walks report, triage, reminders and escalation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCRIPT = """\
/as bram
/incident
Ik kan niet inloggen
/as anna
/incident
1
1
Niemand kan inloggen
ja
/as support
/ack PLEK-1
/later 4h
/as anna
/escalate PLEK-1 Duurt te lang
/status
/as support
/resolve PLEK-1 Certificaat vernieuwd
/as nobody
/quit
"""


def _demo_run(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def _demo(tmp_path: Path, script: str, *args: str) -> str:
    result = _demo_run(tmp_path, script, "--now", "2026-11-24T10:00+01:00", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_scripted_demo_walks_every_flow(tmp_path: Path) -> None:
    """Forwarding, intake, the card, a breach with escalation, /escalate, /status, resolution."""
    out = _demo(tmp_path, SCRIPT, "--reset")
    assert "Ik kan niet inloggen" in out  # forwarded to Anna
    assert "Gemeld als PLEK-1" in out
    assert "/ack PLEK-1" in out  # the card's buttons as commands
    assert "Gemist" in out  # the breach at 14:00, in Dutch
    assert "Teamleider Servicedesk" in out  # level 1 pinged
    assert "PLEK-1 is opgelost. Wat er is gedaan: Certificaat vernieuwd" in out
    assert "Nobody called nobody here" in out


def test_demo_keeps_its_database_until_reset(tmp_path: Path) -> None:
    """A second run continues numbering; --reset starts clean."""
    report = "/incident\n1\n1\nTest\nja\n/quit\n"
    assert "PLEK-1" in _demo(tmp_path, report, "--reset")
    assert "PLEK-2" in _demo(tmp_path, report)
    assert "PLEK-1" in _demo(tmp_path, report, "--reset")


def test_reset_empties_the_database_it_is_given(tmp_path: Path) -> None:
    """--reset with --database starts clean too (it used to be ignored there)."""
    report = "/incident\n1\n1\nTest\nja\n/quit\n"
    own = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    assert "PLEK-1" in _demo(tmp_path, report, "--database", own)
    assert "PLEK-2" in _demo(tmp_path, report, "--database", own)
    assert "PLEK-1" in _demo(tmp_path, report, "--database", own, "--reset")


def test_reset_leaves_a_server_database_alone(tmp_path: Path) -> None:
    """Another database is not emptied by a demo: one line, exit 2, no password shown."""
    url = "postgresql+psycopg://demo:secret@127.0.0.1:9/nowhere"
    result = _demo_run(tmp_path, "", "--reset", "--database", url)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--reset" in result.stderr
    assert "secret" not in result.stderr and "127.0.0.1:9/nowhere" in result.stderr


def test_demo_refuses_a_time_without_offset(tmp_path: Path) -> None:
    """--now needs an offset; the error is one line and exit 2."""
    result = _demo_run(tmp_path, "", "--now", "2026-11-24T10:00")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_every_button_shows_as_a_command(tmp_path: Path) -> None:
    """Klik's breach asks support to tell the customer why: the demo shows its command."""
    script = "/as sanne\n/incident\n1\nAlles ligt eruit\nja\n/later 3h\n/quit\n"
    out = _demo(tmp_path, script, "--reset")
    assert "/inform KLIK-1" in out
