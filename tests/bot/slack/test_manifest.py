"""The app manifest an admin pastes into Slack matches what the code listens for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.adapter import COMMAND, SHORTCUT, SLABOT_COMMAND

MANIFEST = Path(__file__).parents[3] / "slack-manifest.yml"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return data


def test_manifest_declares_the_command_shortcut_and_events_the_bot_handles() -> None:
    """/incident, /slabot, the "Report as incident" message shortcut, mentions, DMs and
    interactivity."""
    data = manifest()
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND, SLABOT_COMMAND]
    assert all(c["should_escape"] is False for c in commands)
    [shortcut] = data["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", SHORTCUT)
    settings = data["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True


def test_manifest_asks_for_the_scopes_the_calls_need_and_no_more() -> None:
    """Each bot scope is used: posting, commands, mentions, DMs, files, users.info, and reading
    a conversation back after a send that got no answer."""
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "chat:write",
        "commands",
        "files:write",
        "im:history",
        "im:write",
        "users:read",
    }


def test_display_texts_fit_slack_limits() -> None:
    """Slack refuses a manifest whose names are too long."""
    data = manifest()
    assert len(data["display_information"]["name"]) <= 35
    assert len(data["display_information"]["description"]) <= 140
    assert len(data["features"]["shortcuts"][0]["name"]) <= 24
    for command in data["features"]["slash_commands"]:
        assert len(command["command"]) <= 32 and len(command["description"]) <= 2000
        assert len(command.get("usage_hint", "")) <= 1000
