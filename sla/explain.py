"""Deadlines and calendars told to a person: what ``slabot sla explain`` and ``calendar`` print.

Everything here only presents: the arithmetic is :mod:`sla.clock`'s and the calendar's. Each
function returns the lines to print, in the translator's language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import holidays as holidays_lib

from sla.calendar import BusinessCalendar
from sla.clock import Deadline, Deadlines, Pause, Rule, SlaClock, merge_pauses
from sla.i18n import Translator
from sla.policy import Policy
from sla.policy_schema import WEEKDAYS

INDENT = "  "
DASH = "\u2013"  # the en dash of "08:30-18:00" and "mon-fri"


# -- small pieces shared by both views ----------------------------------------------------------


def clause(t: Translator, text: str | None) -> str:
    """`` (clause 2.2.4)`` after a rule, or nothing when the rule names no clause."""
    return t._(" (clause {clause})", clause=text) if text else ""


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def ranges_text(t: Translator, ranges: Iterable[tuple[int, int]]) -> str:
    """``"08:30-12:00, 13:00-17:00"`` (en dashes), or "closed" for a day off."""
    text = ", ".join(f"{hhmm(start)}{DASH}{hhmm(end)}" for start, end in ranges)
    return text or t._("closed")


def weekly_hours(policy: Policy) -> list[tuple[int, tuple[tuple[int, int], ...]]]:
    """Per weekday (0 is Monday) the office hours the policy gives it."""
    hours = policy.doc.calendar.office_hours
    return [
        (index, tuple(sorted(hours.get(day, ()))))  # type: ignore[call-overload]
        for index, day in enumerate(WEEKDAYS)
    ]


def office_hours_summary(t: Translator, policy: Policy) -> str:
    """The week in one line, runs of equal days joined: ``"ma-vr 08:30-18:00"``."""
    groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for index, ranges in weekly_hours(policy):
        if groups and groups[-1][2] == ranges and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, ranges)
        else:
            groups.append((index, index, ranges))
    parts = []
    for first, last, ranges in groups:
        if not ranges:
            continue
        days = t.weekday(first) if first == last else f"{t.weekday(first)}{DASH}{t.weekday(last)}"
        parts.append(f"{days} {ranges_text(t, ranges)}")
    return "; ".join(parts)


def holiday_source(t: Translator, policy: Policy) -> str:
    """Whose holidays the calendar keeps: ``"Nederland (officiële feestdagen)"``."""
    rules = policy.doc.calendar.holidays
    country = str(t.locale.territories.get(rules.country, rules.country))
    if tuple(rules.categories) == ("public",):
        categories = t._("public holidays")
    else:
        categories = ", ".join(rules.categories)
    return f"{country} ({categories})"


def holiday_language(country: str, lang: str) -> str | None:
    """The ``holidays`` package's language closest to ``lang`` for that country's names."""
    try:
        supported = tuple(holidays_lib.country_holidays(country).supported_languages)
    except NotImplementedError:  # pragma: no cover - the schema only admits known countries
        return None
    for wanted in (lang, "en_US", "en_GB", "en"):
        for code in supported:
            if code == wanted or code.split("_")[0] == wanted:
                return str(code)
    return None


def holidays_between(
    t: Translator, policy: Policy, calendar: BusinessCalendar, first: date, last: date
) -> list[tuple[date, str]]:
    """The calendar's holidays from ``first`` to ``last``, named in the translator's language."""
    language = holiday_language(policy.doc.calendar.holidays.country, t.lang)
    found: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        for day, name in sorted(calendar.holidays(year, language).items()):
            if first <= day <= last:
                found.append((day, name))
    return found


def stretch_text(t: Translator, begin: datetime, end: datetime) -> str:
    if begin.date() == end.date():
        return f"{t.datetime(begin)}{DASH}{t.time(end)}"
    return f"{t.datetime(begin)} {DASH} {t.datetime(end)}"


# -- explain -------------------------------------------------------------------------------------


def target_text(t: Translator, rule: Rule) -> str:
    """What a rule allows, e.g. "4 hours office time" or "3 workdays"."""
    if rule.kind == "none":
        return t._("no deadline")
    if rule.kind == "next_workday_close":
        return t._("by the close of the next workday")
    if rule.workdays is not None:
        if float(rule.workdays).is_integer():
            return t.n_("{n} workday", "{n} workdays", int(rule.workdays))
        return t._("{amount} workdays", amount=t.number(rule.workdays))
    amount = t.duration(timedelta(seconds=rule.seconds), days=False)
    if rule.office:
        return t._("{duration} office time", duration=amount)
    return t._("{duration}, the clock always runs", duration=amount)


def explain(
    clock: SlaClock, deadlines: Deadlines, t: Translator, *, paused: Sequence[Pause] = ()
) -> list[str]:
    """The deadlines of one report, with the rules, the calendar and the stretches behind them."""
    policy = clock.policy
    kind = policy.kind(deadlines.kind)
    label = _kind_label(t, policy, kind.id)
    if label != kind.id:
        label = f"{label} ({kind.id})"
    lines = [f"{policy.name} ({policy.id}): {label}"]
    description = _kind_description(t, policy, kind.id)
    lines.append(f"{description or ''}{clause(t, kind.clause)}".strip())
    tz = clock.calendar.tz
    reported = t.datetime(deadlines.reported_at, tz)
    rules = (deadlines.response.rule, deadlines.resolution.rule)
    if any(rule.variant is not None for rule in rules):
        if deadlines.inside_office_hours:
            lines.append(t._("Reported: {when}, inside office hours", when=reported))
        else:
            lines.append(t._("Reported: {when}, outside office hours", when=reported))
    else:
        lines.append(t._("Reported: {when}", when=reported))
    lines += _calendar_lines(t, clock, deadlines)
    for begin, end in paused:
        lines.append(
            t._(
                "Paused: {stretch}",
                stretch=stretch_text(t, begin.astimezone(tz), end.astimezone(tz)),
            )
        )
    for deadline in (deadlines.response, deadlines.resolution):
        lines.append("")
        lines += _deadline_lines(t, clock, deadline, paused)
    return lines


def _kind_label(t: Translator, policy: Policy, kind_id: str) -> str:
    kind = policy.kind(kind_id)
    if kind.priority is not None:
        return policy.doc.priorities[kind.priority].label.get(t.lang)
    return policy.request_types[kind.request_type].label.get(t.lang)


def _kind_description(t: Translator, policy: Policy, kind_id: str) -> str | None:
    kind = policy.kind(kind_id)
    if kind.priority is not None:
        return policy.doc.priorities[kind.priority].description.get(t.lang)
    found = policy.request_types[kind.request_type].description
    return found.get(t.lang) if found else None


def _calendar_lines(t: Translator, clock: SlaClock, deadlines: Deadlines) -> list[str]:
    rules = clock.policy.doc.calendar
    lines = [t._("Calendar: {zone}{clause}", zone=rules.timezone, clause=clause(t, rules.clause))]
    lines.append(INDENT + t._("Office hours: {hours}", hours=office_hours_summary(t, clock.policy)))
    lines.append(INDENT + t._("Holidays: {source}", source=holiday_source(t, clock.policy)))
    dues = [d.due for d in (deadlines.response, deadlines.resolution) if d.due is not None]
    if dues:
        first = deadlines.reported_at.date()
        last = max(dues).astimezone(clock.calendar.tz).date()
        found = holidays_between(t, clock.policy, clock.calendar, first, last)
        names = ", ".join(f"{t.date(day)} {name}" for day, name in found)
        lines.append(
            INDENT
            + t._("Holidays until the last deadline: {holidays}", holidays=names or t._("none"))
        )
    return lines


def _deadline_lines(
    t: Translator, clock: SlaClock, deadline: Deadline, paused: Sequence[Pause]
) -> list[str]:
    rule = deadline.rule
    if deadline.name == "response":
        title = t._("Response: {target}", target=target_text(t, rule))
    else:
        title = t._("Resolution: {target}", target=target_text(t, rule))
    lines = [title + clause(t, rule.clause)]
    if rule.note is not None:
        lines.append(INDENT + rule.note.get(t.lang))
    if rule.workdays is not None:
        day = t.duration(timedelta(seconds=clock.calendar.workday_seconds), days=False)
        lines.append(INDENT + t._("A workday is {duration} office time.", duration=day))
    if rule.start == "root_cause" and rule.kind != "none":
        lines.append(INDENT + t._("The clock starts when the root cause is known."))
    if rule.kind == "none":
        return lines
    if deadline.started_at is None:
        lines.append(INDENT + t._("The clock has not started: no root cause time was given."))
        return lines
    tz = clock.calendar.tz
    lines.append(INDENT + t._("Start: {when}", when=t.datetime(deadline.started_at, tz)))
    pausable = deadline.name in clock.pausable
    if paused and not pausable:
        lines.append(INDENT + t._("This clock does not pause."))
    assert deadline.due is not None
    pauses = merge_pauses(paused) if paused and pausable else []
    total = timedelta(0)
    for begin, end in clock.stretches(
        rule, deadline.started_at.timestamp(), deadline.due.timestamp(), pauses
    ):
        total += end - begin
        stretch = stretch_text(t, begin, end)
        running = t.duration(total, days=False)
        lines.append(INDENT * 2 + t._("{stretch}, total {total}", stretch=stretch, total=running))
    lines.append(INDENT + t._("Due: {when}", when=t.datetime(deadline.due, tz)))
    return lines


# -- calendar ------------------------------------------------------------------------------------


def calendar_report(clock: SlaClock, year: int, t: Translator) -> list[str]:
    """The working days per month, the weekly office hours and the holidays of one year."""
    policy, calendar = clock.policy, clock.calendar
    rules = policy.doc.calendar
    lines = [t._("{policy} ({id}): calendar {year}", policy=policy.name, id=policy.id, year=year)]
    zone = rules.timezone
    lines.append(t._("Time zone: {zone}{clause}", zone=zone, clause=clause(t, rules.clause)))
    lines.append("")
    lines.append(t._("Office hours per week:"))
    day_width = max(len(t.weekday(index, "wide")) for index in range(7)) + 2
    for index, ranges in weekly_hours(policy):
        lines.append(f"{INDENT}{t.weekday(index, 'wide'):<{day_width}}{ranges_text(t, ranges)}")
    lines.append("")
    lines.append(t._("Working days per month:"))
    per_month = Counter(day.month for day in calendar.workdays(year))
    width = max(len(t.month(m)) for m in range(1, 13)) + 2
    for month in range(1, 13):
        lines.append(f"{INDENT}{t.month(month):<{width}}{per_month[month]:>3}")
    total = t._("total")
    lines.append(f"{INDENT}{total:<{width}}{sum(per_month.values()):>3}")
    lines.append("")
    lines.append(t._("Holidays in {year}: {source}", year=year, source=holiday_source(t, policy)))
    added = set(rules.holidays.add)
    found = holidays_between(t, policy, calendar, date(year, 1, 1), date(year, 12, 31))
    date_width = max((len(t.date(day)) for day, _name in found), default=0) + 2
    for day, name in found:
        marks = []
        if day in added:
            marks.append(t._("added by the policy"))
        if not _weekday_open(policy, day):
            marks.append(t._("not an office day anyway"))
        suffix = f" ({'; '.join(marks)})" if marks else ""
        lines.append(f"{INDENT}{t.date(day):<{date_width}}{name}{suffix}")
    if not found:
        lines.append(INDENT + t._("none"))
    removed = sorted(d for d in rules.holidays.remove if d.year == year)
    if removed:
        lines.append(
            t._(
                "Removed by the policy (working days after all): {days}",
                days=", ".join(t.date(d) for d in removed),
            )
        )
    return lines


def _weekday_open(policy: Policy, day: date) -> bool:
    return bool(policy.doc.calendar.office_hours.get(WEEKDAYS[day.weekday()], ()))  # type: ignore[call-overload]
