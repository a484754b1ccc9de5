"""Parsing of the durations and times of day that policy files and the command line use."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", re.IGNORECASE)
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_duration(text: str) -> timedelta:
    """Read ``"4h"``, ``"4 hours"``, ``"1h30m"``, ``"90 min"`` or ``"2 days"``.

    Raises ``ValueError`` for anything else, including a zero or negative duration.
    """
    text = text.strip()
    pos = 0
    seconds = 0.0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match.group(2).lower() not in _UNIT_SECONDS:
            raise ValueError(f"{text!r} is not a duration")
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    if pos == 0 or seconds <= 0:
        raise ValueError(f"{text!r} is not a duration")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration` in its shortest form, e.g. ``"1h30m"``."""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(f"{seconds}s" if seconds else "")
    return "".join(parts) or "0m"


def parse_time_of_day(text: str) -> int:
    """Minutes after midnight for ``"HH:MM"``; ``"24:00"`` is the end of the day."""
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    return minutes
