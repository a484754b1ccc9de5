"""Structured JSON logs. Tokens and message bodies never reach them."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# Slack tokens, Telegram bot tokens (in URLs too) and secrets that libraries may log.
_SECRETS = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|\b\d{6,}:[A-Za-z0-9_-]{30,}\b"
    r"|(?<=/bot)[^/\s]+)"
)
_FIELDS = ("platform", "event", "incident", "ref", "chat", "attempts", "seconds")


def redact(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that log request URLs or bodies at INFO/DEBUG stay at WARNING.
    for noisy in (
        "httpx",
        "httpcore",
        "telegram",
        "slack_bolt",
        "slack_sdk",
        "apscheduler",
        "aiohttp.access",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
