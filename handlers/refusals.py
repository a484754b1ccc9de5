"""What a handler says when it refuses: a person who is not support staff (:func:`is_staff`,
:func:`refuse_non_staff`), and a change the incident service refuses, worded for people
(:func:`error_text`). Shared by the staff actions, escalation, maintenance and reports.
"""

from __future__ import annotations

from handlers.cards import status_label
from handlers.people import Person
from handlers.types import Reply
from sla.i18n import Translator
from sla.service import ServiceError


def is_staff(person: Person) -> bool:
    return person.staff is not None and bool(person.staff.roles)


def refuse_non_staff(person: Person) -> list[Reply]:
    return [
        Reply(
            person.t._("Only support staff can do this."),
            ephemeral=True,
            alert=True,
            lang=person.lang,
        )
    ]


def error_text(t: Translator, error: ServiceError) -> str:
    """A service refusal worded for people."""
    messages = {
        "bad_status": lambda: t._(
            "{ref} is {status}; that cannot be done now.",
            ref=error.params["ref"],
            status=status_label(t, error.params["status"]),
        ),
        "already_acknowledged": lambda: t._("{ref} was already acknowledged.", **error.params),
        "reason_required": lambda: t._("Please give a reason."),
        "note_required": lambda: t._("Please say what was done."),
        "unknown_priority": lambda: t._("There is no priority {priority}.", **error.params),
        "same_priority": lambda: t._("The priority is {priority} already.", **error.params),
        "root_cause_known": lambda: t._(
            "The root cause of {ref} is recorded already.", **error.params
        ),
        "escalation_not_allowed": lambda: t._("Your contract does not let contacts escalate."),
        "top_level": lambda: t._(
            "{ref} is at the highest escalation level ({level}) already.", **error.params
        ),
        "other_customer": lambda: t._("That problem belongs to another customer."),
        "unknown_staff": lambda: t._(
            "Nobody in support has the handle {handle}. Use /assign {ref} for yourself, or a "
            "colleague's handle.",
            handle=error.params.get("handle", ""),
            ref=error.params.get("ref", "PLEK-1"),
        ),
        "already_linked": lambda: t._("{ref} is linked to {problem} already.", **error.params),
        "no_problem": lambda: t._(
            "{ref} is linked to no problem. Link it first: /problem {ref} PRB-3", **error.params
        ),
        "analysis_required": lambda: t._(
            "Please give the analysis: /problem {ref} rca <analysis>", **error.params
        ),
    }
    make = messages.get(error.code)
    return make() if make else t._("That cannot be done now.")
