"""``SLABOT_LANG`` is read from the environment and, failing that, from ``.env`` in the working
directory, as the other settings are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).resolve().parents[2]
GERMAN = "Nennen Sie Nachrichten-IDs oder verwenden Sie --all-parked.\n"
DUTCH = "Noem bericht-id's, of gebruik --all-parked.\n"
ENGLISH = "Name message ids, or use --all-parked.\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLABOT_LANG", raising=False)
    return tmp_path


def _mistake() -> str:
    """The one line of a command-line mistake that needs no database."""
    result = CliRunner().invoke(app, ["outbox", "retry"])
    assert result.exit_code == 2
    return result.stderr


def test_the_language_comes_from_dot_env(workdir: Path) -> None:
    (workdir / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nSLABOT_LANG=de\n", encoding="utf-8")
    assert _mistake() == GERMAN


def test_the_environment_comes_before_dot_env(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text("SLABOT_LANG=de\n", encoding="utf-8")
    monkeypatch.setenv("SLABOT_LANG", "nl")
    assert _mistake() == DUTCH


def test_without_either_it_is_english(workdir: Path) -> None:
    (workdir / ".env").write_text("SLABOT_LOG_LEVEL=DEBUG\n", encoding="utf-8")
    assert _mistake() == ENGLISH
    (workdir / ".env").unlink()
    (workdir / ".env").mkdir()  # not a file: no settings in it, and no failure either
    assert _mistake() == ENGLISH


def test_help_texts_follow_dot_env_too(tmp_path: Path) -> None:
    """The help is translated when the command line starts, from the same ``.env``."""
    (tmp_path / ".env").write_text("SLABOT_LANG=nl\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SLABOT_LANG", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "outbox", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Uitgaande berichten" in result.stdout
