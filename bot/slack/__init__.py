"""Slack: slash command, message shortcut and mention open the questionnaire as a modal; the
support channel works from a Block Kit card; reminders and pings arrive in channels and DMs.

``run_slack(app, settings)`` is what ``slabot run`` starts. :class:`SlackService` receives
(Socket Mode or signed HTTP on ``/slack/events``), :class:`SlackAdapter` turns payloads into the
handlers' neutral events, :class:`SlackTransport` delivers the outbox. See ``docs/slack.md``.
"""

from bot.slack.adapter import SlackAdapter
from bot.slack.server import (
    EVENTS_PATH,
    SlackConfigError,
    SlackService,
    check_settings,
    run_slack,
)
from bot.slack.transport import SlackTransport

__all__ = [
    "EVENTS_PATH",
    "SlackAdapter",
    "SlackConfigError",
    "SlackService",
    "SlackTransport",
    "check_settings",
    "run_slack",
]
