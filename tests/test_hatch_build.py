"""The wheel build hook: compiled catalogues end up inside the package."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_a_compiled_catalogue_per_language(tmp_path: Path) -> None:
    """Building a wheel compiles each .po into ``sla/locales/<lang>/LC_MESSAGES/slabot.mo``."""
    pytest.importorskip("hatchling")
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    if not (source / "README.md").exists():
        (source / "README.md").write_text("# slabot\n", encoding="utf-8")
    ignore = shutil.ignore_patterns("__pycache__", "*.mo")
    for folder in ("bot", "handlers", "sla", "locales"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for lang in ("nl", "de", "en"):
            assert f"sla/locales/{lang}/LC_MESSAGES/slabot.po" in names
            assert f"sla/locales/{lang}/LC_MESSAGES/slabot.mo" in names
        with archive.open("sla/locales/nl/LC_MESSAGES/slabot.mo") as fp:
            assert gettext.GNUTranslations(fp).gettext("no deadline") == "geen termijn"
