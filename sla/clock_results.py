"""What the deadline clock returns: rules, deadlines, and how they are built fast.

``sla.clock`` computes these and re-exports them; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from sla.policy_schema import Localized

TargetName = Literal["response", "resolution"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A target made concrete for one report: the variant chosen, the defaults filled in."""

    kind: Literal["none", "duration", "next_workday_close"]
    seconds: float
    clock: Literal["office", "24x7"]
    start: Literal["report", "root_cause"]
    clause: str | None
    note: Localized | None
    variant: Literal["inside", "outside"] | None
    workdays: float | None

    @property
    def office(self) -> bool:
        return self.clock == "office"


NO_DEADLINE = Rule("none", 0.0, "office", "report", None, None, None, None)


@dataclass(frozen=True, slots=True)
class Deadline:
    name: TargetName
    rule: Rule
    started_at: datetime | None
    due: datetime | None


@dataclass(frozen=True, slots=True)
class Deadlines:
    policy: str
    kind: str
    reported_at: datetime
    inside_office_hours: bool
    response: Deadline
    resolution: Deadline

    def as_json(self) -> dict[str, str | None]:
        return {
            "policy": self.policy,
            "priority": self.kind,
            "reported_at": self.reported_at.isoformat(),
            "response_due": _iso(self.response.due),
            "resolution_due": _iso(self.resolution.due),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# Built fast. The results are frozen dataclasses; their generated ``__init__`` stores each field
# through ``object.__setattr__``, which for the three small objects of a deadlines() call costs
# more than the arithmetic (three times the twin below, measured). A mutable twin with the
# same slots is filled by plain attribute stores and then becomes the frozen class by
# ``__class__`` assignment, which CPython allows between classes of the same slot layout (and
# checks). The object is then in every way one the constructor built: same type, equality, hash,
# repr, pickling, frozenness (tests/sla/test_clock.py). A field added to a dataclass but not to
# its twin fails at import.


class DeadlineDraft:
    """A mutable twin of :class:`Deadline`; see :func:`new_deadline`."""

    __slots__ = ("due", "name", "rule", "started_at")
    name: TargetName
    rule: Rule
    started_at: datetime | None
    due: datetime | None


class DeadlinesDraft:
    """A mutable twin of :class:`Deadlines`; see :func:`new_deadlines`."""

    __slots__ = ("inside_office_hours", "kind", "policy", "reported_at", "resolution", "response")
    policy: str
    kind: str
    reported_at: datetime
    inside_office_hours: bool
    response: Deadline
    resolution: Deadline


def _check_twin(cls: type, twin: type) -> None:
    if {f.name for f in fields(cls)} != set(vars(twin)["__slots__"]):
        raise TypeError(f"{cls.__name__} fields changed: update {twin.__name__}")


_check_twin(Deadline, DeadlineDraft)
_check_twin(Deadlines, DeadlinesDraft)


def new_deadline(
    name: TargetName, rule: Rule, started_at: datetime | None, due: datetime | None
) -> Deadline:
    """``Deadline(name, rule, started_at, due)``, built fast (see above)."""
    deadline = DeadlineDraft()
    deadline.name = name
    deadline.rule = rule
    deadline.started_at = started_at
    deadline.due = due
    deadline.__class__ = Deadline  # type: ignore[assignment]
    return deadline  # type: ignore[return-value]


def new_deadlines(
    policy: str,
    kind: str,
    reported_at: datetime,
    inside: bool,
    response: Deadline,
    resolution: Deadline,
) -> Deadlines:
    """``Deadlines(...)``, built fast (see above)."""
    result = DeadlinesDraft()
    result.policy = policy
    result.kind = kind
    result.reported_at = reported_at
    result.inside_office_hours = inside
    result.response = response
    result.resolution = resolution
    result.__class__ = Deadlines  # type: ignore[assignment]
    return result  # type: ignore[return-value]
