"""The policy file schema: every rule of a contract, each next to the clause it comes from.

A policy file is YAML validated by these pydantic models (see ``policies/*.yaml`` for the five
seed contracts). The models only describe; time arithmetic lives in ``calendar`` and ``clock``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sla.durations import format_duration, parse_duration, parse_time_of_day
from sla.policy_references import check_references

LANGUAGES: tuple[str, ...] = ("nl", "de", "en")
Lang = Literal["nl", "de", "en"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _duration(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            raise PydanticCustomError("duration", "is not a duration") from None
    raise PydanticCustomError("duration", "is not a duration")


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
]


def _time_range(value: object) -> object:
    if isinstance(value, str) and value.count("-") == 1:
        start_text, end_text = value.split("-")
        try:
            start, end = parse_time_of_day(start_text), parse_time_of_day(end_text)
        except ValueError:
            pass
        else:
            if start < end:
                return (start, end)
    raise PydanticCustomError("time_range", 'is not a time range like "09:00-17:00"')


TimeRange = Annotated[tuple[int, int], BeforeValidator(_time_range)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Model):
    """A text in each of the three languages the bot speaks."""

    nl: str = Field(min_length=1)
    de: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return str(getattr(self, lang if lang in LANGUAGES else "en"))


class Holidays(Model):
    country: str = "NL"
    categories: tuple[str, ...] = ("public",)
    add: dict[date, str] = {}
    remove: tuple[date, ...] = ()


class WeeklyWindow(Model):
    """A recurring stretch of local time, e.g. planned maintenance on Friday 22:00-24:00."""

    label: Localized
    days: tuple[Weekday, ...]
    hours: TimeRange
    announced: bool = False  # left out of availability only where announced maintenance lies
    clause: str | None = None


class CalendarRules(Model):
    timezone: str = "Europe/Amsterdam"
    office_hours: dict[Weekday, tuple[TimeRange, ...]]
    workday_length: Duration | None = None
    holidays: Holidays = Holidays()
    windows: dict[str, WeeklyWindow] = {}
    clause: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("timezone", "is not a known time zone") from None
        return value

    @model_validator(mode="after")
    def _day_length(self) -> CalendarRules:
        lengths = {sum(e - s for s, e in ranges) for ranges in self.office_hours.values() if ranges}
        if not lengths:
            raise PydanticCustomError("calendar", "office_hours names no working day")
        if len(lengths) > 1 and self.workday_length is None:
            raise PydanticCustomError(
                "calendar", "working days differ in length: set workday_length"
            )
        return self


Clock = Literal["office", "24x7"]
StartEvent = Literal["report", "root_cause"]


class Target(Model):
    """One response or resolution target.

    Exactly one of: ``none`` (no deadline, best effort), ``within`` (a duration on ``clock``),
    ``workdays`` (N working days on the office clock), ``next_workday_close`` (close of the
    workday after the report's first office day), or the pair ``inside``/``outside`` (variants by
    whether the report arrived inside office hours).
    """

    none: bool = False
    within: Duration | None = None
    workdays: float | None = Field(default=None, gt=0)
    next_workday_close: bool = False
    inside: Target | None = None
    outside: Target | None = None
    clock: Clock | None = None
    start: StartEvent | None = None
    clause: str | None = None
    note: Localized | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        kinds = [
            self.none,
            self.within is not None,
            self.workdays is not None,
            self.next_workday_close,
            self.inside is not None or self.outside is not None,
        ]
        if sum(kinds) != 1:
            raise PydanticCustomError(
                "target",
                "needs exactly one of none, within, workdays, next_workday_close, inside/outside",
            )
        if (self.inside is None) != (self.outside is None):
            raise PydanticCustomError("target", "needs both inside and outside")
        if (self.workdays is not None or self.next_workday_close) and self.clock == "24x7":
            raise PydanticCustomError("target", "workdays count on the office clock, not 24x7")
        return self


class Priority(Model):
    label: Localized
    description: Localized
    clause: str
    tiers: tuple[str, ...] | None = None
    response: Target
    resolution: Target


class RequestType(Model):
    """A kind of report. ``prioritised`` types take a priority; the others carry own targets."""

    label: Localized
    description: Localized | None = None
    clause: str | None = None
    prioritised: bool = False
    response: Target | None = None
    resolution: Target | None = None
    notify_roles: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _targets(self) -> RequestType:
        if self.prioritised and (self.response or self.resolution):
            raise PydanticCustomError(
                "request_type", "a prioritised request type takes its targets from the priority"
            )
        return self


class Role(Model):
    label: Localized
    may_file: bool = False
    max_per_customer: int | None = Field(default=None, ge=1)
    receives: tuple[Literal["status", "escalation", "data_breach"], ...] = ()
    clause: str | None = None


class Filing(Model):
    unregistered: Literal["refuse", "forward"] = "refuse"
    forward_to: tuple[str, ...] = ()
    hint: Localized | None = None
    clause: str | None = None


class Answer(Model):
    id: str
    label: Localized
    next: str | None = None
    priority: str | None = None
    request_type: str | None = None

    @model_validator(mode="after")
    def _leads_somewhere(self) -> Answer:
        if self.next is not None and (self.priority or self.request_type):
            raise PydanticCustomError("answer", "either asks a next question or ends the tree")
        if self.next is None and not (self.priority or self.request_type):
            raise PydanticCustomError(
                "answer", "needs next, priority or request_type to say where it leads"
            )
        return self


class Question(Model):
    text: Localized
    answers: tuple[Answer, ...] = Field(min_length=2)
    clause: str | None = None


class ReportField(Model):
    id: str
    label: Localized
    hint: Localized | None = None
    required: bool = True
    multiline: bool = True
    request_types: tuple[str, ...] | None = None
    clause: str | None = None


class Questionnaire(Model):
    start: str
    questions: dict[str, Question]
    fields: tuple[ReportField, ...] = ()


class EscalationLevel(Model):
    role: str
    label: Localized


class Escalation(Model):
    levels: tuple[EscalationLevel, ...] = Field(min_length=1)
    interval: Duration | None = None
    # A contact may escalate the incidents they reported; these roles any of their customer's.
    contacts_may_escalate: bool = True
    started_by: tuple[str, ...] = ()
    clause: str | None = None


class Reminders(Model):
    points: tuple[float, ...] = (0.5, 0.75, 0.9, 1.0)
    hold_outside_office_hours: bool = True
    before_resolution: Localized | None = None
    on_breach: Localized | None = None
    ask_breach_reason: bool = False
    clause: str | None = None

    @field_validator("points")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < p <= 1 for p in value) or list(value) != sorted(set(value)):
            raise PydanticCustomError("points", "must rise from above 0 up to at most 1")
        return value


class ComplianceTarget(Model):
    percent: float = Field(gt=0, le=100)
    comparison: Literal["gt", "ge"] = "ge"
    measure: Literal["response", "resolution", "both"] = "both"
    period: Literal["month", "year"] = "month"
    clause: str | None = None


class Compliance(Model):
    """The share of calls a contract promises within their targets.

    ``priorities`` sets a priority's own target; ``default`` covers the other priorities, each on
    its own, or, with ``pool_default``, all of them together as one pool of calls ("more than
    80 % of all calls", Plek 2.2.4 note 1).
    """

    default: ComplianceTarget | None = None
    priorities: dict[str, ComplianceTarget] = {}
    pool_default: bool = False


class AvailabilityTarget(Model):
    percent: float = Field(gt=0, le=100)
    window: Literal["24x7", "office", "outside_office"] = "24x7"
    aimed: float | None = None


class Credit(Model):
    """Money back for a month below ``below``, to be claimed within ``claim_within`` (a
    duration) or ``claim_within_months`` calendar months (Plek 6.3: "binnen één maand") after
    the month ends."""

    below: float
    credit_percent: float
    claim_within: Duration | None = None
    claim_within_months: int | None = Field(default=None, ge=1)
    clause: str | None = None

    @model_validator(mode="after")
    def _one_claim_term(self) -> Credit:
        if self.claim_within is not None and self.claim_within_months is not None:
            raise ValueError("give claim_within or claim_within_months, not both")
        return self


class Consequence(Model):
    """A right that follows from repeated misses (a review, or termination)."""

    below: float
    consecutive_months: int = Field(ge=1)
    missed_targets_more_than: int | None = None
    unless_single_incident_spans_two: bool = False
    clause: str | None = None


class Availability(Model):
    """How available the service must be, and what counts as down: an incident of one of
    ``down_priorities``, unless its reporter gave one of ``up_answers`` (question id → answer
    ids: Klik's P1 is a total outage *or* a large data leak, and a leak leaves the service up)."""

    targets: tuple[AvailabilityTarget, ...] = Field(min_length=1)
    down_priorities: tuple[str, ...] = ()
    up_answers: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    exclude_windows: tuple[str, ...] = ()
    exclude_planned_maintenance: bool = False
    max_interruptions_per_month: int | None = None
    credits: tuple[Credit, ...] = ()
    review: Consequence | None = None
    termination: Consequence | None = None
    clause: str | None = None


class MaintenanceNotice(Model):
    """How planned maintenance must be announced and when it may happen.

    ``notice_workdays`` ahead on the office clock; ``outside_office_hours``: the work itself must
    lie outside office hours (Plek 2.4.1); ``inside_office_hours_only``: the notice is owed only
    for work inside office hours (Pluvo 5.1); ``max_duration``: the longest one interruption.
    """

    notice_workdays: int = Field(ge=0)
    outside_office_hours: bool = False
    inside_office_hours_only: bool = False
    max_duration: Duration | None = None
    clause: str | None = None


class Pause(Model):
    clocks: tuple[Literal["response", "resolution"], ...] = ("response", "resolution")
    clause: str | None = None


class Problems(Model):
    recurring_opens_problem: bool = True
    rca_priorities: tuple[str, ...] = ()
    clause: str | None = None


class StatusUpdates(Model):
    """What the reporter hears about their own incident besides acknowledgement and deadlines."""

    every_change: bool = False
    on_resolution: bool = False
    clause: str | None = None


class Triage(Model):
    """Who settles the priority: the reporter's answers alone, or staff confirming a proposal."""

    staff_confirm_priority: bool = False
    reason_on_change: bool = False
    clause: str | None = None


class Reporting(Model):
    """A service report the customer is owed (e.g. on request, over the last N months)."""

    on_request: bool = False
    months: int = Field(ge=1)
    covers: tuple[Literal["availability", "response", "resolution"], ...] = (
        "availability",
        "response",
        "resolution",
    )
    clause: str | None = None


class Source(Model):
    contract: str
    file: str
    language: Lang


class PolicyDocument(Model):
    """The whole contract as the bot reads it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    source: Source
    language: Lang
    incident_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    calendar: CalendarRules
    tiers: tuple[str, ...] = ()
    roles: dict[str, Role]
    filing: Filing = Filing()
    request_types: dict[str, RequestType] = {}
    priorities: dict[str, Priority]
    questionnaire: Questionnaire
    escalation: Escalation
    reminders: Reminders = Reminders()
    compliance: Compliance = Compliance()
    availability: Availability | None = None
    maintenance: MaintenanceNotice | None = None
    pause: Pause = Pause()
    problems: Problems | None = None
    status_updates: StatusUpdates = StatusUpdates()
    triage: Triage = Triage()
    reporting: Reporting | None = None

    @model_validator(mode="after")
    def _references(self) -> PolicyDocument:
        check_references(self)
        return self
