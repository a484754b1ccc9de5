"""Structured JSON logs. Tokens and message bodies never reach them.

Two guards, at every log level: records from libraries (bolt, slack_sdk, PTB, httpx, aiohttp,
SQLAlchemy…) below WARNING are dropped, since at INFO and DEBUG they carry URLs, payloads and
message bodies; and what is written has tokens and the configured secrets blanked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

# Slack tokens, Telegram bot tokens (in URLs too) and secrets that libraries may log.
_SECRETS = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|\b\d{3,}:[A-Za-z0-9_-]{20,}"
    r"|(?<=/bot)[^/\s]+)"
)
_FIELDS = ("platform", "event", "incident", "ref", "chat", "attempts", "seconds")
MIN_SECRET_LENGTH = 8  # shorter configured values are not blanked: they would hit common words
REDACTED = "[redacted]"

# Loggers whose INFO and DEBUG records are our own texts. Bare "slabot" (and "slabot:…") is
# not among them: it is the logger bolt names after the app and hands to listeners.
_OWN_PACKAGES = ("bot", "handlers", "sla")
_OWN_PREFIX = "slabot."
# Library loggers allowed below WARNING, and from which level: the schema migrations run.
_LIBRARY_FLOORS = {"alembic.runtime.migration": logging.INFO}
# Set to WARNING so that their records are not even built; the filter below is the guarantee,
# because bolt gives its own loggers (``slack_bolt.AsyncApp``…) the root level when it makes them.
_NOISY = (
    "httpx",
    "httpcore",
    "telegram",
    "slack_bolt",
    "slack_sdk",
    "apscheduler",
    "aiohttp",
    "sqlalchemy",
    "alembic",
    "websockets",
    "asyncio",
)


def _secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for the configured values, as written and as put in a URL, longest first."""
    values: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            values.update({secret, quote(secret, safe="")})
    if not values:
        return None
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with token-shaped strings and the given secret values replaced."""
    pattern = _secret_pattern(secrets)
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _SECRETS.sub(REDACTED, text)


def is_own(name: str) -> bool:
    """Whether a logger is one of ours (its INFO and DEBUG records may be written)."""
    return name.startswith(_OWN_PREFIX) or any(
        name == package or name.startswith(package + ".") for package in _OWN_PACKAGES
    )


class LibraryFilter(logging.Filter):
    """Drops library records below WARNING, whatever level their logger has been given."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or is_own(record.name):
            return True
        floor = _LIBRARY_FLOORS.get(record.name)
        return floor is not None and record.levelno >= floor


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = _secret_pattern(secrets)

    def _clean(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        return _SECRETS.sub(REDACTED, text)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self._clean(record.getMessage()),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                value = getattr(record, name)
                entry[name] = self._clean(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["error"] = self._clean(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["error"] = self._clean(record.exc_text)
        if record.stack_info:
            entry["stack"] = self._clean(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """JSON lines on stderr at ``level`` for our loggers, WARNING for the libraries; the
    ``secrets`` (tokens, signing and webhook secrets; empty or short values are skipped) are
    blanked wherever they appear, tracebacks included."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    handler.addFilter(LibraryFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Alembic says which migrations a start runs; the rest of it stays quiet.
    for name, floor in _LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
