"""Loading policy files: the five built-ins load, and a bad file names every problem by line."""

from __future__ import annotations

from pathlib import Path

import pytest

import sla.policy
from sla.policy import (
    PolicyError,
    UnknownPolicy,
    builtin_ids,
    builtin_policy,
    load_policy,
    parse_policy,
    resolve_policy,
)

# A small valid policy; the line numbers in the tests below refer to this text.
MINI = """\
id: mini
name: Mini
source: {contract: Mini SLA, file: seeds/mini.txt, language: en}
language: en
incident_prefix: MINI
calendar:
  office_hours:
    mon: ["09:00-17:00"]
    tue: ["09:00-17:00"]
roles:
  contact:
    label: {nl: Contact, de: Kontakt, en: Contact}
    may_file: true
priorities:
  P1:
    clause: "1"
    label: {nl: P1, de: P1, en: P1}
    description: {nl: Plat, de: Aus, en: Down}
    response: {none: true}
    resolution: {within: 4h}
  P2:
    clause: "1"
    label: {nl: P2, de: P2, en: P2}
    description: {nl: Traag, de: Langsam, en: Slow}
    response: {within: 1h}
    resolution: {workdays: 2}
questionnaire:
  start: impact
  questions:
    impact:
      text: {nl: "Wat?", de: "Was?", en: "What?"}
      answers:
        - {id: down, label: {nl: Plat, de: Aus, en: Down}, priority: P1}
        - {id: slow, label: {nl: Traag, de: Langsam, en: Slow}, priority: P2}
escalation:
  levels:
    - {role: lead, label: {nl: Lead, de: Lead, en: Lead}}
"""

SEEDS = {
    "plek": ["P1", "P2", "P3", "P4", "complaint"],
    "pluvo": ["P1", "P2", "P3", "P4", "P4-question"],
    "klik": ["P1", "P2", "P3"],
    "perplex": ["Prio1", "Prio2", "Prio3", "Prio4", "Prio5", "complaint", "data_breach"],
    "infravision": ["Top", "High", "Medium", "Low", "information", "change"],
}


def write(tmp_path: Path, text: str, name: str = "mini.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return caught.value.errors


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


# -- the built-ins --------------------------------------------------------------------------------


def test_builtin_ids_are_the_five_seeds() -> None:
    """Exactly the five seed contracts ship as built-in policies."""
    assert builtin_ids() == ("infravision", "klik", "perplex", "plek", "pluvo")


@pytest.mark.parametrize(("policy_id", "kinds"), SEEDS.items())
def test_builtin_loads_with_its_fixed_ids(policy_id: str, kinds: list[str]) -> None:
    """Each built-in loads and offers exactly its fixed priority and request-type ids."""
    policy = builtin_policy(policy_id)
    assert policy.id == policy_id
    assert list(policy.kinds) == kinds


@pytest.mark.parametrize("policy_id", SEEDS)
def test_builtin_rules_name_their_clause(policy_id: str) -> None:
    """Every priority and every one of its targets names the clause it comes from."""
    doc = builtin_policy(policy_id).doc
    for pid, prio in doc.priorities.items():
        assert prio.clause, pid
        assert prio.response.clause, f"{pid} response"
        assert prio.resolution.clause, f"{pid} resolution"
    for rid, rtype in doc.request_types.items():
        assert rtype.clause, rid


@pytest.mark.parametrize("policy_id", SEEDS)
def test_builtin_loads_from_its_file_path_too(policy_id: str) -> None:
    """A built-in can also be loaded by the path of its file, with the same content."""
    by_id = builtin_policy(policy_id)
    assert by_id.path is not None
    by_path = resolve_policy(str(by_id.path))
    assert by_path.doc == by_id.doc


def test_unknown_builtin_is_refused_with_the_known_ids() -> None:
    """Asking for a policy id that does not exist names the built-ins."""
    with pytest.raises(UnknownPolicy, match="built-in policies are infravision, klik"):
        resolve_policy("acme")


def test_builtin_id_must_match_its_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in the built-in folder whose id differs from its file name is refused."""
    monkeypatch.setattr(sla.policy, "POLICY_DIR", tmp_path)
    path = write(tmp_path, MINI, "other.yaml")
    assert errors_of(path) == ["other.yaml:1 id: 'mini' must match the file name"]


def test_minimal_policy_loads(tmp_path: Path) -> None:
    """The small policy the error tests start from is itself valid."""
    policy = load_policy(write(tmp_path, MINI))
    assert list(policy.kinds) == ["P1", "P2"]


# -- field errors ---------------------------------------------------------------------------------


def test_bad_duration_names_file_line_and_path(tmp_path: Path) -> None:
    """A duration that does not parse is reported with its file, line and field path."""
    path = write(
        tmp_path, edit(MINI, "resolution: {within: 4h}", 'resolution: {within: "4 hourz"}')
    )
    assert errors_of(path) == [
        'mini.yaml:20 priorities.P1.resolution.within: "4 hourz" is not a duration'
    ]


def test_bad_duration_in_a_copy_of_plek(tmp_path: Path) -> None:
    """A broken copy of the Plek policy points at the line of the broken duration."""
    plek = (sla.policy.POLICY_DIR / "plek.yaml").read_text(encoding="utf-8")
    broken = edit(
        plek,
        "resolution: {within: 4h, clock: office",
        'resolution: {within: "4 hourz", clock: office',
    )
    line = line_of(broken, "4 hourz")
    path = write(tmp_path, broken, "plek.yaml")
    assert errors_of(path) == [
        f'plek.yaml:{line} priorities.P1.resolution.within: "4 hourz" is not a duration'
    ]


def test_unknown_field_is_reported_at_its_line(tmp_path: Path) -> None:
    """A misspelt field is an unknown field, and the field it was meant to be is missing."""
    path = write(
        tmp_path, edit(MINI, "    resolution: {workdays: 2}", "    resolutoin: {workdays: 2}")
    )
    assert errors_of(path) == [
        "mini.yaml:21 priorities.P2.resolution: is required",
        "mini.yaml:26 priorities.P2.resolutoin: is not a known field",
    ]


def test_missing_top_level_field_is_required(tmp_path: Path) -> None:
    """A missing top-level field is reported as required, at the start of the document."""
    path = write(tmp_path, edit(MINI, "name: Mini\n", ""))
    assert errors_of(path) == ["mini.yaml:1 name: is required"]


def test_missing_translation_names_the_language(tmp_path: Path) -> None:
    """A label without its German text names the missing language at the label's line."""
    path = write(tmp_path, edit(MINI, "label: {nl: P1, de: P1, en: P1}", "label: {nl: P1, en: P1}"))
    assert errors_of(path) == ["mini.yaml:17 priorities.P1.label.de: is required"]


def test_every_field_error_is_reported_at_once(tmp_path: Path) -> None:
    """A file with several problems lists all of them, not just the first."""
    text = edit(MINI, 'mon: ["09:00-17:00"]', 'mon: ["17:00-09:00"]')
    text = edit(text, "resolution: {within: 4h}", 'resolution: {within: "4 hourz"}')
    text = edit(text, "incident_prefix: MINI", "incident_prefix: mini")
    text = edit(text, "calendar:\n", "calendar:\n  timezone: Europe/Amsterdm\n")
    assert errors_of(write(tmp_path, text)) == [
        'mini.yaml:5 incident_prefix: "mini" is invalid: string should match pattern '
        "'^[A-Z][A-Z0-9]{1,9}$'",
        'mini.yaml:7 calendar.timezone: "Europe/Amsterdm" is not a known time zone',
        'mini.yaml:9 calendar.office_hours.mon.0: "17:00-09:00" is not a time range like '
        '"09:00-17:00"',
        'mini.yaml:21 priorities.P1.resolution.within: "4 hourz" is not a duration',
    ]


def test_target_with_two_kinds_is_refused(tmp_path: Path) -> None:
    """A target that is both a duration and a number of workdays is refused at its line."""
    path = write(tmp_path, edit(MINI, "{workdays: 2}", "{workdays: 2, within: 4h}"))
    assert errors_of(path) == [
        'mini.yaml:26 priorities.P2.resolution: {"workdays": 2, "within": "4h"} is invalid: '
        "needs exactly one of none, within, workdays, next_workday_close, inside/outside"
    ]


def test_workdays_on_the_24x7_clock_are_refused(tmp_path: Path) -> None:
    """Workdays only exist on the office clock, so asking for them on 24x7 is an error."""
    path = write(tmp_path, edit(MINI, "{workdays: 2}", "{workdays: 2, clock: 24x7}"))
    assert errors_of(path) == [
        'mini.yaml:26 priorities.P2.resolution: {"workdays": 2, "clock": "24x7"} is invalid: '
        "workdays count on the office clock, not 24x7"
    ]


def test_variant_needs_both_inside_and_outside(tmp_path: Path) -> None:
    """An in-office-hours variant without its outside twin is refused."""
    path = write(tmp_path, edit(MINI, "response: {within: 1h}", "response: {inside: {within: 1h}}"))
    errors = errors_of(path)
    assert errors == [
        'mini.yaml:25 priorities.P2.response: {"inside": {"within": "1h"}} is invalid: '
        "needs both inside and outside"
    ]


# -- broken references ----------------------------------------------------------------------------


def test_every_broken_reference_is_reported(tmp_path: Path) -> None:
    """All references to things the policy does not define are listed, each at its own line."""
    text = edit(MINI, "priority: P2}", "priority: P9}")
    text = edit(
        text,
        '    clause: "1"\n    label: {nl: P1',
        '    clause: "1"\n    tiers: [gold]\n    label: {nl: P1',
    )
    text = edit(text, "  start: impact\n", "  start: impact\n" + WISH_FIELD)
    text += "problems: {rca_priorities: [P0]}\n"
    assert errors_of(write(tmp_path, text)) == [
        "mini.yaml:17 priorities.P1.tiers: names unknown tier 'gold'",
        "mini.yaml:37 questionnaire.questions.impact.answers.1.priority: "
        "names unknown priority 'P9'",
        "mini.yaml:31 questionnaire.fields.0.request_types: names unknown 'wish'",
        "mini.yaml:41 problems.rca_priorities: names unknown priority 'P0'",
    ]


def test_up_answers_must_name_a_question_and_its_answers(tmp_path: Path) -> None:
    """``availability.up_answers`` (answers that leave the service up at a down priority)
    may only name questions and answers the questionnaire has."""
    text = MINI + (
        "availability:\n"
        "  targets: [{percent: 99}]\n"
        "  down_priorities: [P1]\n"
        "  up_answers: {impact: [nope], colour: [red]}\n"
    )
    assert errors_of(write(tmp_path, text)) == [
        "mini.yaml:41 availability.up_answers.impact: names unknown answer 'nope'",
        "mini.yaml:41 availability.up_answers.colour: is not a question of this policy",
    ]


WISH_FIELD = """\
  fields:
    - {id: d, label: {nl: D, de: D, en: D}, request_types: [wish]}
"""

ORPHAN = """\
    orphan:
      text: {nl: X, de: X, en: X}
      answers:
        - {id: a, label: {nl: A, de: A, en: A}, priority: P1}
        - {id: b, label: {nl: B, de: B, en: B}, priority: P2}
"""


def test_unknown_next_question_and_unasked_question(tmp_path: Path) -> None:
    """An answer leading to a missing question, and a question nobody reaches, are both named."""
    text = edit(MINI, "priority: P2}\n", "next: speed}\n" + ORPHAN)
    assert errors_of(write(tmp_path, text)) == [
        "mini.yaml:34 questionnaire.questions.impact.answers.1.next: "
        "names unknown question 'speed'",
        "mini.yaml:35 questionnaire.questions.orphan: is never asked",
    ]


def test_questionnaire_loop_is_refused(tmp_path: Path) -> None:
    """A question that leads back to itself is reported as a loop."""
    path = write(tmp_path, edit(MINI, "priority: P2}", "next: impact}"))
    assert errors_of(path) == ["mini.yaml:30 questionnaire.questions.impact: is part of a loop"]


def test_repeated_answer_id_is_refused(tmp_path: Path) -> None:
    """Two answers with the same id in one question make the tree ambiguous and are refused."""
    path = write(tmp_path, edit(MINI, "{id: slow,", "{id: down,"))
    assert errors_of(path) == [
        "mini.yaml:34 questionnaire.questions.impact.answers.1.id: repeats answer id 'down'"
    ]


def test_no_role_may_file_is_refused(tmp_path: Path) -> None:
    """A policy in which nobody may file incidents cannot be used."""
    path = write(tmp_path, edit(MINI, "    may_file: true\n", ""))
    assert errors_of(path) == ["mini.yaml:10 roles: no role may file incidents"]


# -- not a policy at all --------------------------------------------------------------------------


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    """A file that is not YAML is reported with the line the parser stopped at."""
    path = write(tmp_path, edit(MINI, "language: en\n", "language: en\n\tname: tab\n"))
    assert errors_of(path) == [
        "mini.yaml:5 is not valid YAML: found character '\\t' that cannot start any token"
    ]


def test_unclosed_bracket_is_invalid_yaml(tmp_path: Path) -> None:
    """An unclosed flow mapping is invalid YAML, reported where the parser notices it."""
    path = write(tmp_path, edit(MINI, "resolution: {within: 4h}", "resolution: {within: 4h"))
    errors = errors_of(path)
    assert len(errors) == 1
    assert errors[0].startswith("mini.yaml:21 is not valid YAML: ")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n- of things\n", "plain\n"])
def test_document_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str) -> None:
    """An empty file, or one holding a list or a scalar, is not a policy."""
    assert errors_of(write(tmp_path, text)) == [
        "mini.yaml:1 a policy file holds a mapping of fields"
    ]


def test_unreadable_file_is_a_policy_error(tmp_path: Path) -> None:
    """A path that cannot be read gives a policy error naming it, not an OSError."""
    missing = tmp_path / "gone.yaml"
    errors = errors_of(missing)
    assert len(errors) == 1
    assert errors[0].startswith(f"{missing}: cannot be read")


def test_missing_policy_path_is_unknown(tmp_path: Path) -> None:
    """Resolving a policy file path that does not exist says so."""
    with pytest.raises(UnknownPolicy, match="does not exist"):
        resolve_policy(str(tmp_path / "gone.yaml"))


def test_nothing_half_loads(tmp_path: Path) -> None:
    """One broken priority refuses the whole file: no policy with just the good parts comes back."""
    text = edit(MINI, "{workdays: 2}", "{workdays: -2}")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, tmp_path / "mini.yaml")
    assert caught.value.errors == [
        "mini.yaml:26 priorities.P2.resolution.workdays: -2 is invalid: "
        "input should be greater than 0"
    ]
    assert str(caught.value) == "\n".join(caught.value.errors)
