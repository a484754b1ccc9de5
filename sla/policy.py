"""Loading policy files: YAML in, a validated :class:`Policy` out, or every error with its line.

A bad file never half-loads. Each error names the file, the line and the field path, e.g.
``plek.yaml:14 priorities.P1.resolution.within: "4 hourz" is not a duration``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sla.policy_schema import PolicyDocument, Priority, RequestType, Target

POLICY_DIR = Path(__file__).parent / "policies"
INCIDENT = "incident"


class PolicyError(Exception):
    """A policy file that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


class UnknownPolicy(LookupError):
    pass


@dataclass(frozen=True)
class Kind:
    """What a report is: a priority, or a request type that carries its own targets."""

    id: str
    request_type: str
    priority: str | None
    response: Target | None
    resolution: Target | None
    tiers: tuple[str, ...] | None
    clause: str | None


class Policy:
    """A validated policy document with the look-ups the rest of the bot needs."""

    def __init__(self, document: PolicyDocument, path: Path | None = None) -> None:
        self.doc = document
        self.path = path

    @property
    def id(self) -> str:
        return self.doc.id

    @property
    def name(self) -> str:
        return self.doc.name

    @cached_property
    def request_types(self) -> dict[str, RequestType]:
        """The policy's request types; a policy that names none has the one type ``incident``."""
        types = dict(self.doc.request_types)
        types.setdefault(INCIDENT, RequestType.model_validate(_DEFAULT_INCIDENT))
        return types

    @cached_property
    def kinds(self) -> dict[str, Kind]:
        kinds: dict[str, Kind] = {}
        for pid, prio in self.doc.priorities.items():
            kinds[pid] = _priority_kind(pid, prio)
        for rid, rtype in self.request_types.items():
            if not rtype.prioritised:
                kinds[rid] = Kind(
                    rid, rid, None, rtype.response, rtype.resolution, None, rtype.clause
                )
        return kinds

    def kind(self, key: str) -> Kind:
        """A priority or an unprioritised request type by id; case and ``-``/``_`` are forgiven."""
        found = self.kinds.get(key)
        if found is not None:
            return found
        wanted = _fold(key)
        for kid, kind in self.kinds.items():
            if _fold(kid) == wanted:
                return kind
        known = ", ".join(self.kinds)
        raise KeyError(f"policy {self.id} has no priority or request type {key!r} (known: {known})")


_DEFAULT_INCIDENT = {
    "label": {"nl": "Incident", "de": "Störung", "en": "Incident"},
    "prioritised": True,
}


def _fold(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def _priority_kind(pid: str, prio: Priority) -> Kind:
    return Kind(pid, INCIDENT, pid, prio.response, prio.resolution, prio.tiers, prio.clause)


def load_policy(path: Path | str) -> Policy:
    """Read and validate one policy file; raise :class:`PolicyError` with every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    except UnicodeDecodeError:
        raise PolicyError([f"{path}: cannot be read (not UTF-8 text)"]) from None
    return parse_policy(text, path)


def parse_policy(text: str, path: Path) -> Policy:
    name = path.name
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError([f"{name}{line} is not valid YAML: {problem}"]) from None
    if not isinstance(data, dict) or root is None:
        raise PolicyError([f"{name}:1 a policy file holds a mapping of fields"])
    try:
        document = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(list(_describe(exc, root, name))) from None
    if document.id != path.stem and path.parent == POLICY_DIR:
        raise PolicyError([f"{name}:1 id: {document.id!r} must match the file name"])
    return Policy(document, path)


def _describe(exc: ValidationError, root: yaml.Node, name: str) -> Iterator[str]:
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        ctx = error.get("ctx") or {}
        if error["type"] == "reference":
            # Cross-reference checks carry their own, more precise, paths (all of them).
            for ref_path, message in ctx.get("errors") or [(ctx["path"], ctx["message"])]:
                loc = str(ref_path).split(".")
                yield f"{name}:{_line(root, loc)} {'.'.join(loc)}: {message}"
            continue
        path = ".".join(loc) or "(top)"
        line = _line(root, loc)
        if error["type"] == "missing":
            yield f"{name}:{line} {path}: is required"
        elif error["type"] == "extra_forbidden":
            yield f"{name}:{line} {path}: is not a known field"
        else:
            value = json.dumps(error.get("input"), default=str, ensure_ascii=False)
            message = error["msg"]
            if not message.startswith("is "):
                message = f"is invalid: {message[0].lower()}{message[1:]}"
            yield f"{name}:{line} {path}: {value} {message}"


def _line(root: yaml.Node, loc: Sequence[str]) -> int:
    """The line of the deepest entry along ``loc`` that exists in the file (1-based).

    A mapping entry counts from its key, so ``priorities.P2.resolution: is required`` points at
    the ``P2:`` line rather than the first line inside it.
    """
    node = root
    line = int(root.start_mark.line)
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line + 1


def _child(node: yaml.Node, key: str) -> tuple[int, yaml.Node] | None:
    """The line where the entry ``key`` starts, and its value node."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if str(key_node.value) == key:
                return int(key_node.start_mark.line), value_node
    if isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
        item: yaml.Node = node.value[int(key)]
        return int(item.start_mark.line), item
    return None


@cache
def builtin_ids() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in POLICY_DIR.glob("*.yaml")))


@cache
def builtin_policy(policy_id: str) -> Policy:
    if policy_id not in builtin_ids():
        raise UnknownPolicy(
            f"unknown policy {policy_id!r}: built-in policies are {', '.join(builtin_ids())}"
        )
    return load_policy(POLICY_DIR / f"{policy_id}.yaml")


def resolve_policy(ref: str) -> Policy:
    """A built-in id (``plek``) or the path of a policy file."""
    if ref in builtin_ids():
        return builtin_policy(ref)
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.exists():
            raise UnknownPolicy(f"policy file {ref} does not exist")
        return load_policy(path)
    raise UnknownPolicy(f"unknown policy {ref!r}: built-in policies are {', '.join(builtin_ids())}")


def as_data(policy: Policy) -> dict[str, Any]:
    return policy.doc.model_dump(mode="json", exclude_none=True)
