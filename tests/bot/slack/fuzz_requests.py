"""What the Slack fuzz sends: signed requests as Slack would (slash commands, events,
button presses, modal submissions), each field possibly missing or junk, free text with Slack's
markup, and garbage; each :class:`Request` says what must come of it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from bot.slack.modals import ViewMeta
from bot.slack.render import (
    ACTION_PREFIX,
    ANSWER_BLOCK,
    ANSWER_ELEMENT,
    FORM_ACTION,
    parse_action_id,
)
from bot.slack.transport import ephemeral_chat
from handlers.router import COMMANDS
from handlers.types import Action
from tests.bot.slack.conftest import PEOPLE
from tests.bot.slack.fake_slack import BOT_USER
from tests.fuzzing import Mangled, free_text, intact, json_ish, junk, mangled

FORM = "application/x-www-form-urlencoded"
LANG = {user: locale[:2] for user, (_, locale) in PEOPLE.items()}
CHANNELS = ["CACME", "CSUPPORT", "DANNA", "CRANDOM", "G1"]
MARKUP = ["<@UANNA>", f"<@{BOT_USER}>", "<!channel>", "<#C1|gen>", "<https://x.y|klik>", "&amp;"]
MARKUP += ["&lt;", "<>", "<", "/incident", "/help", "PLEK-1", "P1", " ", "\n", "🙂", "ja", "1"]

user_ids = st.one_of(st.sampled_from(list(PEOPLE)), st.text(min_size=1, max_size=12))
channels = st.one_of(st.sampled_from(CHANNELS), st.text(min_size=1, max_size=12))
said = st.one_of(free_text, st.lists(st.sampled_from(MARKUP), max_size=8).map("".join))
# Slack's ids are unique; the same one twice is a redelivery (handled once), so mostly fresh ones.
AGAIN = "trigger-again"
triggers = st.one_of(st.builds(lambda: f"trigger-{uuid.uuid4()}"), st.just(AGAIN))
event_ids = st.one_of(st.builds(lambda: f"Ev{uuid.uuid4().hex}"), st.just("Ev-again"))


@dataclass(frozen=True)
class Request:
    """One request as Slack would send it, and what the person who sent it should see."""

    body: str | bytes
    content_type: str = "application/json"
    acked: bool = False  # one of our listeners must answer it 200 (it acknowledges first)
    user: str = ""  # someone who asked something and must get an answer ...
    chat: str = ""  # ... in this outbox chat (a DM, or a channel only they see it in) ...
    trigger: str = ""  # ... or in a modal opened with this trigger
    unknown: str = ""  # the command name /slabot did not know


def slash(fields: dict[str, Any]) -> Request:
    body = urlencode(fields)
    ours = fields.get("command") in ("/incident", "/slabot") and intact(fields)
    user, channel, trigger = (fields.get(k) for k in ("user_id", "channel_id", "trigger_id"))
    fresh = trigger != AGAIN  # else a redelivery: handled (and answered) once
    answered = ours and fresh and user in PEOPLE and channel in CHANNELS
    unknown = ""
    if answered and fields["command"] == "/slabot":
        name = str(fields.get("text") or "").strip().partition(" ")[0].lstrip("/").lower()
        if name and name not in COMMANDS and name != "cancel" and name.isalpha():
            unknown = name
    return Request(
        body,
        FORM,
        acked=ours,
        user=str(user) if answered else "",
        chat=ephemeral_chat(str(channel), str(user)) if answered else "",
        trigger=str(trigger) if answered else "",
        unknown=unknown,
    )


commands = st.builds(
    slash,
    mangled(
        {
            "token": st.just("legacy"),
            "team_id": st.just("T1"),
            "api_app_id": st.just("A1"),
            "command": st.sampled_from(["/incident", "/slabot", "/slabot", "/weather"]),
            "text": st.one_of(
                said,
                st.builds(
                    lambda name, rest: f"{name} {rest}",
                    st.sampled_from([*COMMANDS, "cancel", "/status", "STATUS", "nonsense", ""]),
                    said,
                ),
            ),
            "user_id": user_ids,
            "user_name": st.text(max_size=10),
            "channel_id": channels,
            "trigger_id": triggers,
            "response_url": st.just("http://127.0.0.1:9/response/r1"),
        },
        junk_values=st.text(max_size=30),  # a form only carries strings
    ),
)


def event_callback(envelope: dict[str, Any]) -> Request:
    event = envelope.get("event")
    ours = (
        intact(envelope)
        and envelope.get("type") == "event_callback"
        and isinstance(event, dict)
        and event.get("type") in ("message", "app_mention")
    )
    return Request(json.dumps(envelope), acked=ours)


events = st.builds(
    event_callback,
    mangled(
        {
            "token": st.just("legacy"),
            "team_id": st.just("T1"),
            "api_app_id": st.just("A1"),
            "type": st.just("event_callback"),
            "event_id": event_ids,
            "event_time": st.integers(),
            "authorizations": st.just([{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}]),
            "event": mangled(
                {
                    "type": st.sampled_from(["message", "app_mention"]),
                    "user": user_ids,
                    "channel": channels,
                    "channel_type": st.sampled_from(["im", "im", "channel", "group", "mpim"]),
                    "text": said,
                    "ts": st.just("1790000000.000100"),
                    "subtype": st.sampled_from(["bot_message", "message_changed", ""]),
                    "bot_id": st.sampled_from(["", "B1"]),
                    "thread_ts": st.just("1790000000.000001"),
                }
            ),
        }
    ),
)


def conversation(kind: str, user: str, channel: str, text: str) -> Request:
    """``user`` writes ``text`` to the bot in its direct messages (``D…``), or mentions it in
    ``channel``: as Slack sends it, with the answer due in the DM or only for them there."""
    if kind == "message":
        channel = "D" + user[1:]
    event = {"type": kind, "user": user, "channel": channel, "text": text, "ts": "1.2"}
    if kind == "message":
        event["channel_type"] = "im"
    else:
        event["text"] = f"<@{BOT_USER}> {text}"
    body = json.dumps(
        {"type": "event_callback", "event_id": f"Ev{uuid.uuid4().hex}", "event": event}
    )
    chat = channel if kind == "message" else ephemeral_chat(channel, user)
    return Request(body, acked=True, user=user, chat=chat)


conversations = st.builds(
    conversation,
    st.sampled_from(["message", "app_mention"]),
    st.sampled_from(list(PEOPLE)),
    st.sampled_from(CHANNELS),
    said,
)
well_formed_commands = st.builds(
    lambda user, channel, name, text: slash(command(user, name, text, channel)),
    st.sampled_from(list(PEOPLE)),
    st.sampled_from(CHANNELS),
    st.sampled_from(["/incident", "/slabot"]),
    st.one_of(
        said,
        st.builds(lambda n, t: f"{n} {t}", st.sampled_from([*COMMANDS, "nonsense"]), said),
    ),
)
action_ids = st.one_of(
    st.sampled_from(list(Action)).map(lambda a: f"{ACTION_PREFIX}{a.value}|0"),
    st.just(FORM_ACTION),
    st.text(max_size=10).map(lambda s: ACTION_PREFIX + s),
    st.text(max_size=10),
)
values = st.one_of(
    st.builds(lambda r, t: f"{r} {t}", st.sampled_from(["PLEK-1", "plek-1", "X-0", ""]), said),
    json_ish,
    said,
)
metadata = st.one_of(
    st.builds(
        lambda c, s, t, la: ViewMeta(c, s, t, la).dump(),
        channels,
        st.sampled_from(["confirm", "field:description", "resolve", "forward", ""]),
        st.text(max_size=30),
        st.sampled_from(["nl", "de", "en", "xx", ""]),
    ),
    json_ish,
)
views = mangled(
    {
        "id": st.sampled_from(["V1", "V2", "VNONE"]),
        "hash": st.text(max_size=6),
        "type": st.just("modal"),
        "callback_id": st.sampled_from(["slabot_form", "slabot_form", "other"]),
        "private_metadata": metadata,
        "state": mangled(
            {
                "values": st.builds(
                    lambda v: {ANSWER_BLOCK: {ANSWER_ELEMENT: {"value": v}}},
                    st.one_of(said, st.none()),
                )
            }
        ),
    }
)
interaction_payloads = st.one_of(
    mangled(
        {
            "type": st.just("block_actions"),
            "trigger_id": triggers,
            "team": st.just({"id": "T1"}),
            "user": mangled({"id": user_ids}),
            "api_app_id": st.just("A1"),
            "container": mangled(
                {
                    "type": st.sampled_from(["message", "view"]),
                    "message_ts": st.just("1.2"),
                    "channel_id": channels,
                    "is_ephemeral": st.booleans(),
                    "view_id": st.just("V1"),
                }
            ),
            "channel": mangled({"id": channels}),
            "message": mangled({"ts": st.just("1.2"), "text": said}),
            "view": views,
            "response_url": st.just("http://127.0.0.1:9/response/r1"),
            "actions": st.lists(
                mangled(
                    {
                        "type": st.sampled_from(["button", "static_select", "radio_buttons"]),
                        "action_id": action_ids,
                        "block_id": st.just("b"),
                        "value": values,
                        "selected_option": mangled({"value": values}),
                        "action_ts": st.just("1.1"),
                    }
                ),
                min_size=0,
                max_size=2,
            ),
        }
    ),
    mangled(
        {
            "type": st.sampled_from(["view_submission", "view_closed"]),
            "trigger_id": triggers,
            "team": st.just({"id": "T1"}),
            "user": mangled({"id": user_ids}),
            "api_app_id": st.just("A1"),
            "view": views,
            "is_cleared": st.booleans(),
        }
    ),
    mangled(
        {
            "type": st.sampled_from(["message_action", "shortcut"]),
            "callback_id": st.sampled_from(["slabot_report", "other"]),
            "trigger_id": triggers,
            "team": st.just({"id": "T1"}),
            "user": mangled({"id": user_ids, "name": st.text(max_size=8)}),
            "channel": mangled({"id": channels}),
            "message": mangled({"text": said, "ts": st.just("1.2")}),
            "response_url": st.just("http://127.0.0.1:9/response/r1"),
        }
    ),
)


def interaction(payload: dict[str, Any]) -> Request:
    kind, actions, view = payload.get("type"), payload.get("actions"), payload.get("view")
    first = actions[0] if isinstance(actions, list) and actions else None
    action_id = first.get("action_id") if isinstance(first, dict) else None
    ours = intact(payload) and (
        (
            kind == "block_actions"
            and isinstance(action_id, str)
            and (action_id == FORM_ACTION or action_id.startswith(ACTION_PREFIX))
        )
        or (
            kind in ("view_submission", "view_closed")
            and isinstance(view, dict)
            and view.get("callback_id") == "slabot_form"
        )
        or (
            kind in ("message_action", "shortcut") and payload.get("callback_id") == "slabot_report"
        )
    )
    body = urlencode({"payload": json.dumps(payload)})
    if ours and kind == "block_actions":  # intact: it has all its fields, of their types
        user = payload["user"]["id"]
        channel = payload["channel"]["id"] or payload["container"]["channel_id"]
        assert isinstance(action_id, str)
        expired = action_id == FORM_ACTION or parse_action_id(action_id) is None
        if expired and user in PEOPLE and channel in CHANNELS and payload["trigger_id"] != AGAIN:
            # The "Answer" button opens its question in a modal; a button the bot cannot read
            # (an old version's) is answered as expired.
            return Request(
                body,
                FORM,
                acked=True,
                user=user,
                chat=ephemeral_chat(channel, user),
                trigger=payload["trigger_id"],
            )
    return Request(body, FORM, acked=ours)


interactions = st.builds(interaction, interaction_payloads)
garbage = st.builds(
    Request,
    st.one_of(
        json_ish,
        st.text(max_size=200),
        junk.map(lambda j: urlencode({"payload": json.dumps(j)})),
        json_ish.map(lambda j: urlencode({"payload": j})),
        st.just("ssl_check=1&token=legacy"),
        st.just(json.dumps({"type": "url_verification", "challenge": "c"})),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8)).map(urlencode),
    ),
    st.sampled_from(
        ["application/json", FORM, "text/plain", "multipart/form-data", "", "application/xml"]
    ),
)
requests = st.one_of(well_formed_commands, conversations, commands, events, interactions, garbage)


def command(user: str, name: str, text: str, channel: str = "CACME") -> dict[str, Any]:
    """The form of a slash command as Slack sends it."""
    return {
        "command": name,
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "trigger_id": f"trigger-{uuid.uuid4()}",
        "team_id": "T1",
        "api_app_id": "A1",
    }


def press(action_id: str, value: str) -> Request:
    """Anna presses a button on a message in CACME."""
    return interaction(
        Mangled(
            type="block_actions",
            trigger_id=f"trigger-{uuid.uuid4()}",
            user={"id": "UANNA"},
            container={"type": "message", "message_ts": "1.2", "channel_id": "CACME"},
            channel={"id": "CACME"},
            actions=[{"type": "button", "action_id": action_id, "value": value}],
        )
    )
