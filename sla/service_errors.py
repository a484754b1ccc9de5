"""What the incident service refuses, and why.

:class:`ServiceError` carries a code the handlers word for people; :func:`require_status` is the
check every change makes first: the incident must be in one of the statuses the change allows.
"""

from __future__ import annotations

from typing import Any

from sla.models import Incident


class ServiceError(Exception):
    """A change that the incident's state or the policy does not allow.

    ``code`` names the reason for the handlers, which word it for people.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def require_status(incident: Incident, *allowed: str) -> None:
    if incident.status not in allowed:
        raise ServiceError("bad_status", ref=incident.ref, status=incident.status)
