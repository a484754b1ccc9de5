"""Slack's payloads as far as bolt and the listeners read them, checked before either does.

A request with a good signature comes from Slack (or from whoever holds the signing secret), yet
bolt and the listeners index into it freely: ``body["event"].get("type")``,
``body["user"]["id"]``. A field of another type, or a missing id that every payload of its kind
carries, would end in a 500 or a traceback in the log. :func:`problem` names what is wrong with
a request body, or returns None; the server answers 400 to what it names.

The shapes are Slack's documented ones, read leniently: unknown fields are welcome, a known
field may be null where bolt copes with null, and required is only what Slack always sends.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.request.internals import parse_body

from bot.shapes import NULL, Shape, misfit, value_at

_ID: dict[str, Shape] = {
    "id": str,
    "name": str,
    "username": str,
    "team_id": str,
    "enterprise_id": (str, NULL),
}
_MESSAGE: dict[str, Shape] = {
    "type": str,
    "subtype": (str, NULL),
    "user": str,
    "bot_id": (str, NULL),
    "text": str,
    "ts": str,
    "thread_ts": (str, NULL),
    "channel": str,
}
_ACTION: dict[str, Shape] = {
    "type": str,
    "action_id": str,
    "block_id": str,
    "value": str,
    "action_ts": str,
    "selected_option": ({"value": str}, NULL),
}
_VIEW: dict[str, Shape] = {
    "id": str,
    "hash": str,
    "type": str,
    "callback_id": str,
    "private_metadata": str,
    "team_id": str,
    "app_installed_team_id": (str, NULL),
    "state": {
        "values": {"": {"": {"value": (str, NULL), "selected_option": ({"value": str}, NULL)}}}
    },
}
_EVENT: dict[str, Shape] = {
    **_MESSAGE,
    "user": (str, _ID, NULL),
    "channel": (str, _ID, NULL),
    "channel_type": str,
    "team": (str, NULL),
    "user_team": (str, NULL),
    "event_ts": str,
    "message": (_MESSAGE, NULL),
    "previous_message": (_MESSAGE, NULL),
    "item": ({"channel": (str, NULL)}, NULL),
    "assistant_thread": ({"channel_id": str, "thread_ts": str}, NULL),
    "function_execution_id": str,
    "bot_access_token": str,
    "workflow_step": dict,
}
_STRINGS = [
    "type",
    "token",
    "team_id",
    "enterprise_id",
    "api_app_id",
    "user_id",
    "user_name",
    "channel_id",
    "channel_name",
    "trigger_id",
    "command",
    "text",
    "response_url",
    "event_id",
    "callback_id",
    "action_id",
    "block_id",
    "value",
    "thread_ts",
    "challenge",
    "ssl_check",
    "function_execution_id",
    "bot_access_token",
    "context_team_id",
    "context_enterprise_id",
]
BODY: dict[str, Shape] = {
    **dict.fromkeys(_STRINGS, str),
    "event_time": int,
    "is_enterprise_install": (bool, str, NULL),
    "is_ext_shared_channel": (bool, NULL),
    "team": (str, _ID, NULL),
    "enterprise": (str, _ID, NULL),
    "user": (_ID, NULL),
    "channel": (_ID, NULL),
    "event": _EVENT,
    "authorizations": ([{**_ID, "user_id": str, "is_bot": bool}], NULL),
    "container": (
        {
            "type": str,
            "message_ts": str,
            "channel_id": str,
            "is_ephemeral": bool,
            "view_id": str,
            "thread_ts": str,
        },
        NULL,
    ),
    "message": (_MESSAGE, NULL),
    "previous_message": (_MESSAGE, NULL),
    "view": _VIEW,  # not null: bolt reads view.get("type") whenever "view" is there
    "actions": [_ACTION],
    "response_urls": [{"response_url": str}],
    "item": (dict, NULL),
    "assistant_thread": (dict, NULL),
    "function_data": (dict, NULL),
    "workflow_step": dict,
}
# What every payload of a kind carries (by ``type``; a slash command has none).
REQUIRED: dict[str, tuple[str, ...]] = {
    "command": ("command", "user_id", "channel_id", "trigger_id"),
    "event_callback": ("event.type",),
    "url_verification": ("challenge",),
    "block_actions": ("user.id", "trigger_id", "actions.0.action_id"),
    "interactive_message": ("user.id", "callback_id"),
    "view_submission": ("user.id", "view.id", "view.type", "view.callback_id"),
    "view_closed": ("user.id", "view.id", "view.type", "view.callback_id"),
    "message_action": ("user.id", "trigger_id", "callback_id"),
    "shortcut": ("user.id", "trigger_id", "callback_id"),
}
EVENT_REQUIRED: dict[str, tuple[str, ...]] = {
    "app_mention": ("event.user", "event.channel"),
    "message": ("event.channel",),
    "message by a person": ("event.user",),
}


def problem(raw_body: str, content_type: str | None) -> str | None:
    """What is wrong with a (signed) request body for bolt and the listeners; None if nothing.

    The body is read the way bolt reads it (JSON, a form, or a form's ``payload`` field).
    """
    try:
        body = parse_body(raw_body, content_type)
    except (ValueError, RecursionError) as error:
        return f"unreadable body ({type(error).__name__})"
    return shape_problem(body)


def shape_problem(body: Any) -> str | None:
    """:func:`problem` of a body already read (bolt's request reads it once)."""
    if not isinstance(body, dict):
        return "the body is not an object"
    found = misfit(body, BODY)
    if found is not None:
        return found
    for path in _required(body):
        value = value_at(body, path)
        if not (isinstance(value, str) and value):
            return f"body.{path} is missing"
    return None


def _required(body: dict[str, Any]) -> tuple[str, ...]:
    kind = "command" if "command" in body else body.get("type")
    paths = REQUIRED.get(kind, ()) if isinstance(kind, str) else ()
    if isinstance(body.get("view"), dict):
        paths += ("view.id",)
    event = body.get("event")
    if kind == "event_callback" and isinstance(event, dict):
        event_type = event.get("type")
        if isinstance(event_type, str):
            paths += EVENT_REQUIRED.get(event_type, ())
        if event_type == "message" and not event.get("subtype") and not event.get("bot_id"):
            paths += EVENT_REQUIRED["message by a person"]
    return paths
