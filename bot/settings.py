"""Configuration from the environment (and a ``.env`` file), read in one place."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Each chat platform's variables, by their prefix, and the setting of the token that starts it.
PLATFORM_TOKENS = {"TELEGRAM_": "telegram_bot_token", "SLACK_": "slack_bot_token"}


def describe(error: ValidationError) -> str:
    """Each wrong setting by its variable's name and what is wrong with it, on one line (the
    value itself is left out: it may be a secret)."""
    parts = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        parts.append(f"{name}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def data_dir() -> Path:
    """Where slabot keeps its embedded database: the user's data directory."""
    return Path(user_data_dir("slabot", appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'slabot.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url, validation_alias="SLABOT_DATABASE_URL"
    )
    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(
        default=None, validation_alias="TELEGRAM_API_BASE_URL"
    )
    telegram_webhook_url: str | None = Field(default=None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str | None = Field(
        default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    telegram_webhook_listen: str = Field(
        default="0.0.0.0", validation_alias="TELEGRAM_WEBHOOK_LISTEN"
    )
    telegram_webhook_port: int = Field(
        default=8443, ge=0, le=65535, validation_alias="TELEGRAM_WEBHOOK_PORT"
    )
    slack_bot_token: str | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    health_host: str = Field(default="127.0.0.1", validation_alias="SLABOT_HEALTH_HOST")
    health_port: int = Field(default=8080, ge=0, le=65535, validation_alias="SLABOT_HEALTH_PORT")
    log_level: str = Field(default="INFO", validation_alias="SLABOT_LOG_LEVEL")
    # How long a message being sent is left to its sender before another (or, after a crash,
    # the restarted process) sends it: longer than a send can take.
    outbox_lease_seconds: float = Field(
        default=60.0, gt=0, validation_alias="SLABOT_OUTBOX_LEASE_SECONDS"
    )
    # How many chats the outbox sends to at the same time (each chat stays in order). A crash
    # may resend what was in flight: at most this many messages, each marked and counted.
    delivery_concurrency: int = Field(
        default=8, ge=1, le=100, validation_alias="SLABOT_DELIVERY_CONCURRENCY"
    )
    slack_api_url: str | None = Field(default=None, validation_alias="SLACK_API_URL")
    # HTTP mode (no SLACK_APP_TOKEN): where Slack's requests arrive, on the path /slack/events.
    slack_http_host: str = Field(default="0.0.0.0", validation_alias="SLACK_HTTP_HOST")
    slack_http_port: int = Field(default=3000, ge=0, le=65535, validation_alias="SLACK_HTTP_PORT")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"should be one of {', '.join(LOG_LEVELS)}")
        return level


def variable(field: str) -> str:
    """The environment variable of a setting."""
    alias = Settings.model_fields[field].validation_alias
    assert isinstance(alias, str)
    return alias


def without_token(settings: Settings) -> tuple[str, str] | None:
    """A chat platform's setting given while the platform's bot token is not, as the two
    variables (the first such setting, in the order of :class:`Settings`), else ``None``.

    Every ``TELEGRAM_*`` and ``SLACK_*`` setting only makes sense with its platform's bot token.
    An empty value counts as not set, as it does for the tokens.
    """
    given = [
        field
        for field in Settings.model_fields
        if field in settings.model_fields_set and getattr(settings, field) not in ("", None)
    ]
    for prefix, token in PLATFORM_TOKENS.items():
        if getattr(settings, token):
            continue
        for field in given:
            if variable(field).startswith(prefix):
                return variable(field), variable(token)
    return None
