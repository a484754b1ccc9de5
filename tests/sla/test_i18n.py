"""Catalogue completeness (extracted from the source, not from a possibly stale .pot) and the
Translator's formatting helpers."""

from __future__ import annotations

import ast
import io
import os
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from sla import i18n
from sla.i18n import LANGUAGES, normalize_language, translator

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "sla")
MsgId = str | tuple[str, ...]


def _extract() -> dict[MsgId, str]:
    """Every message marked in the source, with the place it was first seen."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp)

    def only_packages(dirpath: str) -> bool:
        rel = Path(dirpath).relative_to(ROOT).parts
        return rel[0] in PACKAGES and not any(p.startswith((".", "_")) for p in rel)

    found: dict[MsgId, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS, directory_filter=only_packages
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, f"{filename}:{lineno}")
    return found


MESSAGES = _extract()


def _catalogue(lang: str) -> Catalog:
    path = ROOT / "locales" / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as fp:
        return read_po(fp, locale=lang, domain=i18n.DOMAIN)


def _placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def _problems(lang: str) -> Iterator[str]:
    catalogue = _catalogue(lang)
    for msgid, where in sorted(MESSAGES.items(), key=lambda item: str(item[0])):
        singular = msgid if isinstance(msgid, str) else msgid[0]
        message = catalogue.get(singular)
        if message is None:
            yield f"{where} {singular!r}: missing"
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            yield f"{where} {singular!r}: no translation"
        if message.fuzzy:
            yield f"{where} {singular!r}: fuzzy"
        sources = (msgid,) if isinstance(msgid, str) else msgid
        for index, text in enumerate(strings):
            source = str(sources[min(index, len(sources) - 1)])
            try:
                wanted, got = _placeholders(source), _placeholders(text)
            except ValueError as exc:
                yield f"{where} {singular!r}: broken braces ({exc})"
                continue
            if text and wanted != got:
                yield f"{where} {singular!r}: placeholders {sorted(got)}, not {sorted(wanted)}"


def test_messages_are_found_in_the_source() -> None:
    """The extractor sees the marked messages of all three packages, plurals included."""
    assert "no deadline" in MESSAGES
    assert ("{n} workday", "{n} workdays") in MESSAGES
    assert {where.split("/")[0] for where in MESSAGES.values()} >= {"bot", "sla"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang: str) -> None:
    """Each message has a non-fuzzy translation in the language with the msgid's placeholders."""
    problems = list(_problems(lang))
    assert not problems, f"locales/{lang}: run the workflow in CONTRIBUTING.md\n" + "\n".join(
        problems
    )


def _calls_inside_fstrings(tree: ast.AST) -> Iterator[int]:
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call):
                    func = inner.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name in {"_", "n_"}:
                        yield inner.lineno


def test_no_message_hides_inside_an_fstring() -> None:
    """A ``_()`` call inside an f-string is invisible to the extractor, so none may exist."""
    hidden = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in _calls_inside_fstrings(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert hidden == []


# -- loading ---------------------------------------------------------------------------------------


def _write_po(folder: Path, msgstr: str) -> Path:
    catalog = Catalog(locale="nl", domain=i18n.DOMAIN)
    catalog.add("no deadline", msgstr)
    path = folder / "nl" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as fp:
        write_po(fp, catalog)
    return path


def test_a_po_file_without_mo_is_compiled_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone has only .po files; they are read without a build step."""
    _write_po(tmp_path, "uit de po")
    monkeypatch.setattr(i18n, "locales_dir", lambda: tmp_path)
    assert i18n._load_catalogue("nl").gettext("no deadline") == "uit de po"


def test_a_current_mo_file_is_preferred_and_a_stale_one_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compiled catalogue is used unless its .po was edited after it was compiled."""
    po = _write_po(tmp_path, "uit de po")
    compiled = Catalog(locale="nl", domain=i18n.DOMAIN)
    compiled.add("no deadline", "uit de mo")
    buffer = io.BytesIO()
    write_mo(buffer, compiled)
    mo = po.with_suffix(".mo")
    mo.write_bytes(buffer.getvalue())
    monkeypatch.setattr(i18n, "locales_dir", lambda: tmp_path)
    os.utime(po, (1_000_000, 1_000_000))
    assert i18n._load_catalogue("nl").gettext("no deadline") == "uit de mo"
    os.utime(mo, (500_000, 500_000))
    assert i18n._load_catalogue("nl").gettext("no deadline") == "uit de po"


def test_catalogues_are_found_in_the_repository() -> None:
    """From a source checkout the catalogues are the repository's ``locales/``."""
    assert i18n.locales_dir() == ROOT / "locales"


# -- languages and messages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("nl", "nl"),
        ("nl_NL", "nl"),
        ("de-DE", "de"),
        ("en-GB", "en"),
        ("NL_be.UTF-8", "nl"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_locale_codes_map_to_a_language_we_speak(code: str | None, lang: str) -> None:
    """Locale codes fold to their base language; anything unknown is English."""
    assert normalize_language(code) == lang
    assert translator(code).lang == lang


def test_translators_are_cached_per_language() -> None:
    """Asking twice, or with a longer locale code, gives the same translator."""
    assert translator("de") is translator("de-AT") is translator("de")


def test_messages_are_translated_and_filled_in() -> None:
    """``_`` translates then formats; ``n_`` picks the plural form and fills in ``{n}``."""
    assert translator("nl")._("no deadline") == "geen termijn"
    assert translator("de")._("Due: {when}", when="morgen") == "Fällig: morgen"
    assert translator("de").n_("{n} workday", "{n} workdays", 1) == "1 Arbeitstag"
    assert translator("nl").n_("{n} workday", "{n} workdays", 3) == "3 werkdagen"
    assert translator("en")._("an unknown {thing}", thing="text") == "an unknown text"


# -- formatting ------------------------------------------------------------------------------------

WINTER = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # 10:30 in Amsterdam


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "do 26 nov 10:30"), ("de", "Do. 26. Nov. 10:30"), ("en", "Thu 26 Nov 10:30")],
)
def test_datetime_is_short_and_local(lang: str, expected: str) -> None:
    """A time is shown with weekday, day, month and clock time in the given zone."""
    assert translator(lang).datetime(WINTER, "Europe/Amsterdam") == expected


def test_datetime_follows_summer_time_and_keeps_its_own_zone_by_default() -> None:
    """Summer time is applied, and a time without ``tz`` argument keeps its own offset."""
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert translator("nl").datetime(summer, "Europe/Amsterdam") == "wo 1 jul 10:00"
    assert translator("en").datetime(summer) == "Wed 1 Jul 08:00"
    assert translator("en").time(summer, "Europe/Amsterdam") == "10:00"


def test_a_naive_datetime_is_refused() -> None:
    """Babel would read a naive time as UTC, so the translator refuses to guess."""
    with pytest.raises(ValueError, match="no time zone"):
        translator("en").datetime(datetime(2026, 11, 26, 10, 30))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "ma 27 apr 2026"), ("de", "Mo. 27. Apr. 2026"), ("en", "Mon 27 Apr 2026")],
)
def test_date_has_weekday_and_year(lang: str, expected: str) -> None:
    """A date shows its weekday, day, month and year."""
    assert translator(lang).date(date(2026, 4, 27)) == expected


@pytest.mark.parametrize(
    ("lang", "seconds", "expected"),
    [
        ("nl", 9000, "2 uur 30 minuten"),
        ("de", 9000, "2 Stunden 30 Minuten"),
        ("en", 9000, "2 hours 30 minutes"),
        ("nl", 5400, "1 uur 30 minuten"),
        ("nl", 90061, "1 dag 1 uur 1 minuut"),
        ("de", 2 * 86400 + 60, "2 Tage 1 Minute"),
        ("en", 9059, "2 hours 30 minutes"),
        ("en", 3600, "1 hour"),
        ("en", 45, "45 seconds"),
        ("nl", 0, "0 minuten"),
    ],
)
def test_duration_is_exact_to_the_minute(lang: str, seconds: int, expected: str) -> None:
    """Days, hours and minutes are composed exactly; Babel's rounding is not used."""
    assert translator(lang).duration(timedelta(seconds=seconds)) == expected


def test_duration_can_count_in_hours() -> None:
    """Office-clock amounts are shown in hours, not in 24-hour days."""
    assert translator("nl").duration(timedelta(hours=28, minutes=30), days=False) == (
        "28 uur 30 minuten"
    )
    assert translator("en").duration(timedelta(hours=24), days=False) == "24 hours"


@pytest.mark.parametrize(
    ("lang", "seconds", "expected"),
    [
        ("nl", 9000, "over 2 uur 30 minuten"),
        ("de", 9000, "in 2 Stunden 30 Minuten"),
        ("en", 9000, "in 2 hours 30 minutes"),
        ("nl", -9000, "2 uur 30 minuten geleden"),
        ("de", -9000, "vor 2 Stunden 30 Minuten"),
        ("en", -9000, "2 hours 30 minutes ago"),
        ("de", -(2 * 86400 + 3 * 3600), "vor 2 Tagen 3 Stunden"),
        ("nl", 86400, "over 1 dag"),
        ("en", 0, "now"),
        ("nl", 0, "nu"),
        ("de", 0, "jetzt"),
    ],
)
def test_relative_says_in_or_ago(lang: str, seconds: int, expected: str) -> None:
    """A countdown reads "in ..." ahead and "... ago" behind, in the language's grammar."""
    assert translator(lang).relative(timedelta(seconds=seconds)) == expected


def test_names_and_numbers_follow_the_language() -> None:
    """Weekdays, months and decimals come from the language's locale data."""
    nl, de = translator("nl"), translator("de")
    assert (nl.weekday(0), nl.weekday(6, "wide"), nl.month(5)) == ("ma", "zondag", "mei")
    assert (de.weekday(3), de.month(3)) == ("Do.", "März")
    assert (nl.number(1.5), translator("en").number(1.5)) == ("1,5", "1.5")
