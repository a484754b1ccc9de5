"""Hatchling build hook: compile the gettext catalogues into the wheel.

``locales/`` is force-included as ``sla/locales`` (see ``pyproject.toml``); this hook adds the
compiled ``.mo`` next to each ``.po`` there, so an installed bot needs no compile step. The
``.mo`` files are never committed; from a source checkout ``sla.i18n`` compiles in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DOMAIN = "slabot"


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles ``locales/<lang>/LC_MESSAGES/slabot.po`` to ``sla/locales/.../slabot.mo``."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self._out = Path(tempfile.mkdtemp(prefix="slabot-mo-"))
        locales = Path(self.root) / "locales"
        for po in sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            lang = po.parent.parent.name
            mo = self._out / lang / f"{DOMAIN}.mo"
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=lang, domain=DOMAIN)
            with mo.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            build_data["force_include"][str(mo)] = f"sla/locales/{lang}/LC_MESSAGES/{DOMAIN}.mo"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
