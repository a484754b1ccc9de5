"""Translations and locale-aware formatting in the three languages the bot speaks.

Every user-facing text goes through a :class:`Translator`: ``t._("...")`` for a message,
``t.n_("...", "...", n)`` for one with a count, both filled in with ``str.format``. Messages live
in gettext catalogues (domain ``slabot``) under ``locales/``; see ``CONTRIBUTING.md`` for the
translator's workflow. Compiled ``.mo`` files are built into the wheel and never committed: when
one is missing (a fresh clone, an editable install) the ``.po`` file is compiled in memory.

Dates, times and durations are formatted with Babel in the translator's language and a given
time zone: ``"do 26 nov 10:30"``, ``"2 uur 30 minuten"``, ``"over 2 uur 30 minuten"``.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Sequence
from datetime import date as Date
from datetime import datetime as DateTime
from datetime import timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

DOMAIN = "slabot"
LANGUAGES: tuple[str, ...] = ("nl", "de", "en")
DEFAULT_LANGUAGE = "en"

# Short forms in the style people write them: "do 26 nov 10:30", "Do. 26. Nov. 10:30",
# "Thu 26 Nov 10:30". CLDR's own MMMEd skeleton adds commas (and puts the month first in en).
_PATTERNS: dict[str, dict[str, str]] = {
    "nl": {"datetime": "EEE d MMM HH:mm", "date": "EEE d MMM y", "time": "HH:mm"},
    "de": {"datetime": "EEE d. MMM HH:mm", "date": "EEE d. MMM y", "time": "HH:mm"},
    "en": {"datetime": "EEE d MMM HH:mm", "date": "EEE d MMM y", "time": "HH:mm"},
}
# Largest unit first; a duration is shown in these parts, each with Babel's unit names.
Unit = Literal["day", "hour", "minute", "second"]
_UNITS: tuple[tuple[Unit, int], ...] = (("day", 86400), ("hour", 3600), ("minute", 60))
_FIRST_UNIT = re.compile(r"\d+\s+\S+")


def locales_dir() -> Path:
    """Where the catalogues are: inside the installed package, else the repository's."""
    package = Path(__file__).resolve().parent
    installed = package / "locales"
    return installed if installed.is_dir() else package.parent / "locales"


def normalize_language(code: str | None) -> str:
    """``"nl_NL.UTF-8"``, ``"de-DE"`` or ``"EN"`` to a language we speak; anything else is en."""
    if not code:
        return DEFAULT_LANGUAGE
    base = re.split(r"[_\-.@]", code.strip(), maxsplit=1)[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def _load_catalogue(lang: str) -> gettext.NullTranslations:
    folder = locales_dir() / lang / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    # A compiled catalogue older than its source is stale (a translator edited the .po).
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    if po.is_file():
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=lang, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


class Translator:
    """Messages and formatting in one language; get one with :func:`translator`."""

    def __init__(self, lang: str, catalogue: gettext.NullTranslations) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)
        self._catalogue = catalogue
        self._patterns = _PATTERNS[lang]

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"

    # -- messages ----------------------------------------------------------------------------

    def _(self, message: str, /, **params: object) -> str:
        """The translation of ``message``, its ``{placeholders}`` filled from ``params``."""
        return self._catalogue.gettext(message).format(**params)

    def n_(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The singular or plural translation for ``n``; ``{n}`` and ``params`` filled in."""
        return self._catalogue.ngettext(singular, plural, n).format(n=n, **params)

    # -- dates and times ---------------------------------------------------------------------

    def either(self, items: Sequence[str]) -> str:
        """Alternatives as the language lists them: ``"Beheerder of Contract owner"``."""
        return str(format_list(list(items), style="or", locale=self.locale))

    def datetime(self, moment: DateTime, tz: tzinfo | str | None = None) -> str:
        """A short date and time, e.g. ``"do 26 nov 10:30"``, in ``tz`` (else the time's own)."""
        return self._format(moment, "datetime", tz)

    def time(self, moment: DateTime, tz: tzinfo | str | None = None) -> str:
        """The time of day, e.g. ``"10:30"``."""
        return self._format(moment, "time", tz)

    def date(self, day: Date | DateTime, tz: tzinfo | str | None = None) -> str:
        """A date with its weekday, e.g. ``"do 26 nov 2026"``."""
        if isinstance(day, DateTime):
            return self._format(day, "date", tz)
        return str(format_date(day, self._patterns["date"], locale=self.locale))

    def _format(self, moment: DateTime, form: str, tz: tzinfo | str | None) -> str:
        if moment.tzinfo is None:
            raise ValueError(f"{moment.isoformat()} carries no time zone")
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz or moment.tzinfo
        local = moment.astimezone(zone)
        # Babel reads a naive time as wall-clock time: hand it the local time itself.
        text = format_datetime(local.replace(tzinfo=None), self._patterns[form], locale=self.locale)
        return str(text)

    def weekday(self, index: int, width: str = "abbreviated") -> str:
        """The name of a weekday (0 is Monday), e.g. ``"ma"`` or ``"maandag"`` (``"wide"``)."""
        return str(self.locale.days["format"][width][index])

    def month(self, number: int, width: str = "wide") -> str:
        """The name of a month (1 is January) as it stands alone, e.g. ``"januari"``."""
        return str(self.locale.months["stand-alone"][width][number])

    def number(self, value: float) -> str:
        """A number with the language's decimal sign, e.g. ``"1,5"``."""
        return str(format_decimal(value, locale=self.locale))

    # -- durations -----------------------------------------------------------------------------

    def duration(self, amount: timedelta, *, days: bool = True) -> str:
        """Days, hours and minutes, e.g. ``"2 uur 30 minuten"``; ``days=False`` counts hours.

        Seconds are dropped (a countdown shows whole minutes); under a minute shows seconds.
        """
        return " ".join(self._parts(amount, days=days, direction=False))

    def relative(self, amount: timedelta) -> str:
        """Time from now: ``"over 2 uur 30 minuten"``, or ``"2 uur 30 minuten geleden"``."""
        if abs(amount) < timedelta(seconds=1):
            return self._("now")
        first, *rest = self._parts(amount, days=True, direction=True)
        if not rest:
            return first
        # The relative form of the largest part ("vor 2 Tagen") takes the others after its unit.
        match = _FIRST_UNIT.search(first)
        if match is None:  # pragma: no cover - every CLDR pattern here has "{0} unit"
            return f"{first} {' '.join(rest)}"
        return f"{first[: match.end()]} {' '.join(rest)}{first[match.end() :]}"

    def _parts(self, amount: timedelta, *, days: bool, direction: bool) -> list[str]:
        sign = -1 if amount < timedelta(0) else 1
        seconds = int(abs(amount).total_seconds())
        units = _UNITS if days else _UNITS[1:]
        parts: list[str] = []
        for unit, size in units:
            count, seconds = divmod(seconds, size)
            if count:
                parts.append(self._unit(sign * count * size, unit, direction and not parts))
        if not parts:
            small: Unit = "second" if seconds else "minute"
            parts.append(self._unit(sign * seconds, small, direction))
        return parts

    def _unit(self, seconds: int, unit: Unit, direction: bool) -> str:
        # A threshold no value reaches makes Babel use exactly ``unit`` (its granularity).
        text = format_timedelta(
            timedelta(seconds=seconds),
            granularity=unit,
            threshold=1e12,
            format="long",
            add_direction=direction,
            locale=self.locale,
        )
        return str(text)


@cache
def translator(lang: str | None = None) -> Translator:
    """The translator for a language or locale code (``"nl_NL"``, ``"de-DE"``); default en."""
    code = normalize_language(lang)
    if code != lang:
        return translator(code)
    return Translator(code, _load_catalogue(code))
