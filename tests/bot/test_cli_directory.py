"""``slabot directory import|export`` and ``slabot db upgrade`` through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import DEMO_DIRECTORY

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLABOT_DATABASE_URL", f"sqlite:///{tmp_path / 'dir.sqlite3'}")
    monkeypatch.setenv("SLABOT_LANG", "en")


def test_dry_run_changes_nothing_then_import_is_idempotent() -> None:
    """--dry-run says what would change; the import does it; a second import changes nothing."""
    dry = runner.invoke(app, ["directory", "import", str(DEMO_DIRECTORY), "--dry-run"])
    assert dry.exit_code == 0 and "would add customer acme" in dry.output
    assert "added customer" not in runner.invoke(app, ["directory", "export"]).output
    done = runner.invoke(app, ["directory", "import", str(DEMO_DIRECTORY)])
    assert done.exit_code == 0 and "added contact person acme/anna" in done.output
    again = runner.invoke(app, ["directory", "import", str(DEMO_DIRECTORY)])
    assert again.exit_code == 0 and again.output.strip() == "Nothing to change."


def test_export_round_trips(tmp_path: Path) -> None:
    """The export is an import file that changes nothing."""
    runner.invoke(app, ["directory", "import", str(DEMO_DIRECTORY)])
    out = tmp_path / "export.yaml"
    assert runner.invoke(app, ["directory", "export", "-o", str(out)]).exit_code == 0
    assert {c["id"] for c in yaml.safe_load(out.read_text())["customers"]} >= {"acme", "gemeente"}
    assert runner.invoke(app, ["directory", "import", str(out)]).output.strip() == (
        "Nothing to change."
    )


def test_pluvo_fourth_contact_refused_with_a_clear_message(tmp_path: Path) -> None:
    """A fourth Pluvo incident contact fails the whole import with exit 1 and says why."""
    data = yaml.safe_load(DEMO_DIRECTORY.read_text())
    pluvo = next(c for c in data["customers"] if c["policy"] == "pluvo")
    pluvo["contacts"] += [
        {"handle": "hans", "name": "Hans", "roles": ["kontaktperson"]},
        {"handle": "ilse", "name": "Ilse", "roles": ["kontaktperson"]},
    ]
    path = tmp_path / "too-many.yaml"
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["directory", "import", str(path)])
    assert result.exit_code == 1
    assert "Stadtwerke Nordheim already has 3 contact persons" in result.output
    assert "Nothing to change." not in runner.invoke(app, ["directory", "export"]).output
    assert runner.invoke(app, ["directory", "export"]).output.strip() == (
        "customers: []\nstaff: []\nsupport_chats: []"
    )


def test_bad_files_are_refused(tmp_path: Path) -> None:
    """Unreadable, invalid YAML and wrong fields each exit 1 with the reason."""
    missing = runner.invoke(app, ["directory", "import", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot be read" in missing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("customers: [\n")
    assert runner.invoke(app, ["directory", "import", str(broken)]).exit_code == 1
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("customers:\n  - id: x\n    name: X\n    policy: nope\n")
    result = runner.invoke(app, ["directory", "import", str(wrong)])
    assert result.exit_code == 1 and "customers.0.policy" in result.output


def test_db_upgrade() -> None:
    """``slabot db upgrade`` brings an empty database to the newest schema."""
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
