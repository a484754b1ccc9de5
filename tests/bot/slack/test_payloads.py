"""Which signed bodies reach bolt: Slack's payloads yes, anything bolt or a listener would trip
over no, with the reason named."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.slack.payloads import problem

FORM = "application/x-www-form-urlencoded"
COMMAND = {
    "command": "/incident",
    "text": "",
    "user_id": "UANNA",
    "channel_id": "CACME",
    "trigger_id": "t-1",
    "team_id": "T1",
}
PRESS = {
    "type": "block_actions",
    "trigger_id": "t-2",
    "user": {"id": "UANNA", "name": "anna", "team_id": "T1"},
    "team": {"id": "T1", "domain": "acme"},
    "container": {
        "type": "message",
        "message_ts": "1.2",
        "channel_id": "C1",
        "is_ephemeral": False,
    },
    "channel": {"id": "C1", "name": "acme"},
    "message": {"type": "message", "ts": "1.2", "text": "", "user": "UBOT"},
    "actions": [{"type": "button", "action_id": "slabot|ack|0", "value": "PLEK-1"}],
}
SUBMIT = {
    "type": "view_submission",
    "user": {"id": "UANNA"},
    "trigger_id": "t-3",
    "view": {
        "id": "V1",
        "type": "modal",
        "callback_id": "slabot_form",
        "private_metadata": "{}",
        "state": {"values": {"answer": {"text": {"type": "plain_text_input", "value": None}}}},
        "previous_view_id": None,
    },
}


def event(**fields: Any) -> str:
    message = {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "text": ""}
    return json.dumps({"type": "event_callback", "event_id": "Ev1", "event": message | fields})


def form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


@pytest.mark.parametrize(
    "body",
    [
        urlencode(COMMAND),
        event(),
        event(subtype="message_changed", user=None, message={"text": "x", "ts": "1.1"}),
        event(bot_id="B1", user=None),
        json.dumps({"type": "url_verification", "challenge": "c", "token": "x"}),
        form(PRESS),
        form(SUBMIT),
        form({**PRESS, "channel": None, "unknown": [1, {"x": None}]}),
        "ssl_check=1&token=x",
    ],
)
def test_slacks_own_payloads_pass(body: str) -> None:
    """Slash commands, events (also those the bot ignores), button presses and modal
    submissions as Slack sends them are not refused."""
    content_type = "application/json" if body.startswith("{") else FORM
    assert problem(body, content_type) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[1, 2]", "the body is not an object"),
        ("{", "unreadable body (JSONDecodeError)"),
        ("[" * 5000, "unreadable body (RecursionError)"),
        (json.dumps({"type": "event_callback", "event": None}), "body.event is not an object"),
        (form({**PRESS, "actions": [None]}), "body.actions.0 is not an object"),
        (form({**PRESS, "user": "UANNA"}), "body.user is not an object"),
        (form({**PRESS, "view": None}), "body.view is not an object"),
        (form({**SUBMIT, "view": {**SUBMIT["view"], "private_metadata": 7}}), "is not str"),
        (form({**PRESS, "trigger_id": True}), "body.trigger_id is not str"),
        (urlencode({k: v for k, v in COMMAND.items() if k != "user_id"}), "user_id is missing"),
        (form({**PRESS, "actions": []}), "body.actions.0.action_id is missing"),
        (event(user=None), "body.event.user is missing"),
        (event(type="app_mention", channel=None), "body.event.channel is missing"),
    ],
)
def test_what_would_trip_bolt_or_a_listener_is_named(body: str, reason: str) -> None:
    """A body bolt would index into wrongly (a 500), or without an id its listener needs (a
    traceback), is refused with the reason."""
    content_type = "application/json" if body.startswith(("{", "[")) else FORM
    found = problem(body, content_type)
    assert found is not None and reason in found
