"""``slabot sla ...``: the built-in policies, checking policy files, deadlines and calendars.

Mistakes a person makes (an unknown policy, a time that is not a time, a root cause before the
report) end in one line on stderr and exit code 2; ``check`` exits 1 when a file is invalid. Text
goes through the translator: ``--lang`` where a command has it, else ``$SLABOT_LANG``, else
English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import cli_translator, configured_language, fail
from sla.clock import Deadlines, Pause, SlaClock, TierNotAllowed, clock_for
from sla.explain import calendar_report, explain
from sla.i18n import Translator, translator
from sla.policy import Policy, PolicyError, UnknownPolicy, builtin_ids, builtin_policy, load_policy
from sla.policy import resolve_policy as _resolve_policy

_ = cli_translator()._  # help texts, in the language of $SLABOT_LANG

app = typer.Typer(
    help=_("Service-level agreements: policies, deadlines and calendars."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Language(StrEnum):
    nl = "nl"
    de = "de"
    en = "en"


PolicyArg = Annotated[
    str, typer.Argument(help=_("A built-in policy id (see 'slabot sla list') or a policy file."))
]
PriorityArg = Annotated[
    str, typer.Argument(help=_("A priority (P1) or a request type without priority."))
]
ReportedAt = Annotated[
    str,
    typer.Option(
        "--reported-at",
        help=_("When the report arrived, ISO 8601; without offset in the policy's time zone."),
    ),
]
TierOpt = Annotated[
    str | None, typer.Option("--tier", help=_("The customer's tier, where the policy has tiers."))
]
RootCauseAt = Annotated[
    str | None,
    typer.Option("--root-cause-at", help=_("When support recorded that the root cause is known.")),
]
PausedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--paused", help=_("A stretch waiting on the customer, FROM/TO in ISO 8601; repeatable.")
    ),
]
LangOpt = Annotated[
    Language | None,
    typer.Option(
        "--lang", help=_("The language to explain in; default $SLABOT_LANG, else the policy's.")
    ),
]


def _reading(lang: Language | None, policy_language: str) -> str:
    """The language a policy is explained in: ``--lang``, else ``$SLABOT_LANG``, else the
    policy's own."""
    return lang.value if lang else configured_language() or policy_language


@app.command("list", help=_("The built-in policies: id, name and source contract."))
def list_policies() -> None:
    rows: list[tuple[str, str, str]] = []
    broken = False
    for policy_id in builtin_ids():
        try:
            policy = builtin_policy(policy_id)
        except PolicyError as exc:
            broken = True
            for line in exc.errors:
                typer.echo(line, err=True)
            continue
        rows.append((policy.id, policy.name, policy.doc.source.contract))
    id_width = max((len(row[0]) for row in rows), default=0)
    name_width = max((len(row[1]) for row in rows), default=0)
    for policy_id, name, contract in rows:
        typer.echo(f"{policy_id:<{id_width}}  {name:<{name_width}}  {contract}")
    if broken:
        raise typer.Exit(1)


@app.command("check", help=_("Validate policy files; exit 1 with every error when one is bad."))
def check(
    files: Annotated[list[str], typer.Argument(help=_("Policy files to validate."))],
) -> None:
    t = cli_translator()
    bad = False
    for name in files:
        try:
            load_policy(Path(name))
        except PolicyError as exc:
            bad = True
            for line in exc.errors:
                typer.echo(line, err=True)
        else:
            typer.echo(t._("OK {file}", file=name))
    if bad:
        raise typer.Exit(1)


@app.command("deadlines", help=_("The response and resolution deadlines of a report, as JSON."))
def deadlines(
    policy: PolicyArg,
    priority: PriorityArg,
    reported_at: ReportedAt,
    tier: TierOpt = None,
    root_cause_at: RootCauseAt = None,
    paused: PausedOpt = None,
) -> None:
    t = cli_translator()
    request = _compute(t, policy, priority, reported_at, tier, root_cause_at, paused or [])
    typer.echo(json.dumps(request.deadlines.as_json(), ensure_ascii=False))


@app.command("explain", help=_("The deadlines of a report explained: rules, calendar, stretches."))
def explain_deadlines(
    policy: PolicyArg,
    priority: PriorityArg,
    reported_at: ReportedAt,
    tier: TierOpt = None,
    root_cause_at: RootCauseAt = None,
    paused: PausedOpt = None,
    lang: LangOpt = None,
) -> None:
    t = cli_translator(lang.value if lang else None)
    request = _compute(t, policy, priority, reported_at, tier, root_cause_at, paused or [])
    reader = translator(_reading(lang, request.clock.policy.doc.language))
    for line in explain(request.clock, request.deadlines, reader, paused=request.paused):
        typer.echo(line)


@app.command("calendar", help=_("Working days, office hours and holidays of a policy's year."))
def calendar(
    policy: PolicyArg,
    year: Annotated[
        int | None,
        typer.Option("--year", min=1950, max=2200, help=_("The year; default this year.")),
    ] = None,
    lang: LangOpt = None,
) -> None:
    t = cli_translator(lang.value if lang else None)
    clock = clock_for(resolve_policy(t, policy))
    reader = translator(_reading(lang, clock.policy.doc.language))
    shown = year if year is not None else datetime.now(clock.calendar.tz).year
    for line in calendar_report(clock, shown, reader):
        typer.echo(line)


# -- reading what a person typed -------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    clock: SlaClock
    deadlines: Deadlines
    paused: list[Pause]


def resolve_policy(t: Translator, ref: str) -> Policy:
    """The policy a person named, or one line saying why there is none."""
    try:
        return _resolve_policy(ref)
    except UnknownPolicy:
        if ref.endswith((".yaml", ".yml")) or "/" in ref:
            fail(t._("policy file {path} does not exist", path=ref))
        known = ", ".join(builtin_ids())
        fail(t._("unknown policy {policy}: built-in policies are {known}", policy=ref, known=known))
    except PolicyError as exc:
        more = len(exc.errors) - 1
        first = exc.errors[0] if exc.errors else ref
        if more:
            fail(
                t.n_(
                    "{error} (and {n} more error: see slabot sla check {path})",
                    "{error} (and {n} more errors: see slabot sla check {path})",
                    more,
                    error=first,
                    path=ref,
                )
            )
        fail(first)


def parse_time(t: Translator, text: str, tz: tzinfo, option: str) -> datetime:
    """An ISO 8601 time; one without offset is read in ``tz``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(
            t._(
                "{option}: '{value}' is not a time (ISO 8601, e.g. 2026-11-24T14:00)",
                option=option,
                value=text,
            )
        )
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def parse_pause(t: Translator, text: str, tz: tzinfo) -> Pause:
    """``FROM/TO``: a stretch of waiting on the customer that must end after it starts."""
    if text.count("/") != 1:
        fail(t._("--paused: '{value}' is not a pause FROM/TO of two ISO 8601 times", value=text))
    begin_text, end_text = text.split("/")
    begin = parse_time(t, begin_text, tz, "--paused")
    end = parse_time(t, end_text, tz, "--paused")
    if end <= begin:
        fail(t._("--paused: '{value}' ends before it starts", value=text))
    return begin, end


def _compute(
    t: Translator,
    policy_ref: str,
    key: str,
    reported_text: str,
    tier: str | None,
    root_cause_text: str | None,
    paused_texts: list[str],
) -> Computed:
    policy = resolve_policy(t, policy_ref)
    clock = clock_for(policy)
    try:
        kind = policy.kind(key)
    except KeyError:
        known = ", ".join(policy.kinds)
        fail(
            t._(
                "policy {policy} has no priority or request type '{key}' (known: {known})",
                policy=policy.id,
                key=key,
                known=known,
            )
        )
    try:
        clock.check_tier(kind, tier)
    except TierNotAllowed:
        tiers = policy.doc.tiers
        if tier not in tiers:
            fail(
                t._(
                    "policy {policy} has no tier '{tier}' (tiers: {known})",
                    policy=policy.id,
                    tier=tier,
                    known=", ".join(tiers) or t._("none"),
                )
            )
        fail(
            t._(
                "{priority} under {policy} is only for tier {tiers}, not {tier}",
                priority=kind.id,
                policy=policy.id,
                tiers=", ".join(kind.tiers or ()),
                tier=tier,
            )
        )
    tz = clock.calendar.tz
    reported_at = parse_time(t, reported_text, tz, "--reported-at")
    root_cause_at = None
    if root_cause_text is not None:
        root_cause_at = parse_time(t, root_cause_text, tz, "--root-cause-at")
        if root_cause_at < reported_at:  # recorded once the report is in, never before
            fail(
                t._(
                    "--root-cause-at: '{value}' is before --reported-at '{reported}'",
                    value=root_cause_text,
                    reported=reported_text,
                )
            )
    pauses = [parse_pause(t, text, tz) for text in paused_texts]
    try:
        result = clock.deadlines(
            kind.id, reported_at=reported_at, root_cause_at=root_cause_at, paused=pauses, tier=tier
        )
    except (ValueError, KeyError) as exc:  # a rule of the clock this command did not foresee
        fail(str(exc))
    return Computed(clock, result, pauses)
