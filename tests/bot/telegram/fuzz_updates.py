"""What the Telegram fuzz sends: updates as Telegram would (messages, commands, captions,
button presses, membership changes, kinds the bot does not know), each field possibly missing,
of another type, huge, or not matching the rest, and bodies that are not JSON; each
:class:`Post` says what must come of it."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from handlers.router import COMMANDS
from handlers.types import Action
from tests.bot.telegram.conftest import CUSTOMER_GROUP, SUPPORT_GROUP
from tests.bot.telegram.fake_bot_api import BOT
from tests.fuzzing import Mangled, free_text, intact, json_ish, junk, mangled

# Who the directory knows, and the language it knows them in.
KNOWN = {1001: "nl", 1002: "nl", 2001: "en", 2002: "nl", 2003: "en"}
PEOPLE = [*KNOWN, 9999, 0, -5]
_fresh = itertools.count(10**6)

people = st.one_of(
    st.sampled_from(PEOPLE), st.integers(min_value=1, max_value=2**63), st.integers(max_value=0)
)
chat_ids = st.one_of(st.sampled_from([*KNOWN, CUSTOMER_GROUP, SUPPORT_GROUP, 9999]), people)
languages = st.one_of(st.sampled_from(["nl", "de", "en", "de-AT", "pt-br", "xx", ""]), st.text())
WORDS = ["/incident", "/help", "/start", "/status", "/cancel", "/ack", "/nonsense", "PLEK-1"]
WORDS += [f"@{BOT['username']}", "@otherbot", "/", "@", " ", "\n", "<b>", "&amp;", "🙂", "1"]
said = st.one_of(free_text, st.lists(st.sampled_from(WORDS), max_size=8).map("".join))
commands = st.builds(
    lambda name, bot, rest: f"/{name}{bot} {rest}",
    st.one_of(st.sampled_from([*COMMANDS, "cancel", "Incident", "nonsense"]), st.text(max_size=8)),
    st.sampled_from(["", "", f"@{BOT['username']}", "@otherbot", "@"]),
    said,
)
texts = st.one_of(said, commands)
fresh = st.builds(lambda: next(_fresh))  # each update once: a repeated id is a redelivery
update_ids = st.sampled_from([fresh] * 4 + [st.just(1), st.integers()]).flatmap(lambda s: s)
users = mangled(
    {
        "id": people,
        "is_bot": st.booleans(),
        "first_name": st.text(min_size=1, max_size=20),
        "last_name": st.text(max_size=20),
        "username": st.text(max_size=20),
        "language_code": languages,
    },
    optional=("last_name", "username", "language_code"),
)
chats = mangled(
    {
        "id": chat_ids,
        "type": st.sampled_from(["private", "private", "group", "supergroup", "channel", "x"]),
        "title": st.text(max_size=20),
        "first_name": st.text(max_size=20),
    },
    optional=("title", "first_name"),
)
entities = st.lists(
    mangled(
        {
            "type": st.sampled_from(["bot_command", "bold", "text_link", "mention", "pre", "x"]),
            "offset": st.integers(min_value=-3, max_value=400),
            "length": st.integers(min_value=-3, max_value=400),
            "url": st.just("https://x.y"),
            "language": st.text(max_size=5),
        },
        optional=("url", "language"),
    ),
    max_size=3,
)
keyboards = st.builds(
    lambda rows: {"inline_keyboard": rows},
    st.lists(
        st.lists(
            mangled(
                {"text": st.text(min_size=1, max_size=30), "callback_data": st.text(max_size=64)}
            ),
            max_size=2,
        ),
        max_size=2,
    ),
)
messages: st.SearchStrategy[Mangled] = mangled(
    {
        "message_id": st.integers(min_value=1, max_value=2**40),
        "date": st.integers(min_value=0, max_value=2**31),
        "chat": chats,
        "from": users,
        "text": texts,
        "entities": entities,
        "caption": texts,
        "caption_entities": entities,
        "reply_to_message": mangled(
            {"message_id": st.integers(1), "date": st.just(0), "chat": chats, "text": said}
        ),
        "reply_markup": keyboards,
    },
    optional=(
        "text",
        "entities",
        "caption",
        "caption_entities",
        "reply_to_message",
        "reply_markup",
    ),
)
callback_data = st.one_of(
    st.sampled_from(["a:1", "ok:", "x:", "ack:PLEK-1", "sp:PLEK-1 P2", "rv:PLEK-1", "zz:1", ""]),
    st.builds(lambda action, value: f"{action.value}:{value}", st.sampled_from(list(Action)), said),
    st.builds(lambda action, h: f"#{action.value}:{h}", st.sampled_from(list(Action)), st.text()),
    st.text(max_size=64),
)
queries = mangled(
    {
        "id": st.builds(lambda: f"cq{next(_fresh)}"),
        "from": users,
        "chat_instance": st.just("ci"),
        "data": callback_data,
        "message": messages,
        "inline_message_id": st.text(max_size=5),
    },
    optional=("data", "message", "inline_message_id"),
)
# A press on one of the bot's questions, the message as Telegram shows it (its entities may
# not match its text: beyond it, overlapping, or splitting a character in two).
choice_entities = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["bold", "italic", "pre", "text_link", "code"]),
            "offset": st.integers(-2, 40),
            "length": st.integers(-2, 40),
        },
        optional={"url": st.just("https://x.y")},
    ),
    max_size=4,
)
choice_presses = st.builds(
    lambda person, text, marks, data, label: press(person, text, marks, data, label),
    st.sampled_from(PEOPLE),
    st.one_of(st.text(min_size=1, max_size=40), st.sampled_from(["h🙂llo", "🙂🙂", "<b>&"])),
    choice_entities,
    st.sampled_from(["x:", "a:1", "ok:", "a:incident", "sp:PLEK-1 P2"]),
    st.text(min_size=1, max_size=20),
)
members = mangled(
    {
        "chat": chats,
        "from": users,
        "date": st.integers(min_value=0, max_value=2**31),
        "old_chat_member": mangled(
            {"status": st.sampled_from(["left", "kicked", "member"]), "user": st.just(BOT)}
        ),
        "new_chat_member": mangled(
            {
                "status": st.sampled_from(["member", "administrator", "kicked", "left"]),
                "user": st.just(BOT),
            }
        ),
    }
)


@dataclass(frozen=True)
class Post:
    """A webhook request, and what must come of it."""

    body: bytes
    status: int = 200
    chat: str = ""  # someone wrote here and must be answered ...
    lang: str = ""  # ... in this language
    unknown: str = ""  # the command name the bot does not know
    query: str = ""  # a press that must be answered
    content_type: str = "application/json"


def update(kind: str, update_id: int, payload: Any) -> Post:
    body = json.dumps({"update_id": update_id, kind: payload}).encode()
    fresh = update_id >= 10**6 and isinstance(payload, Mangled) and intact(payload)
    if kind == "callback_query" and fresh:
        return Post(body, query=payload["id"])
    if kind != "message" or not fresh:
        return Post(body)
    text = payload.get("text") if "text" in payload else payload.get("caption")
    person, chat = payload["from"], payload["chat"]
    stripped = text.strip() if text else ""
    if not stripped or person["is_bot"]:
        return Post(body)  # nothing to read, or another bot talking
    # Telegram's command syntax: /name, or /name@bot for one bot in a group.
    command = re.fullmatch(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?", stripped.split()[0])
    if command and command[2] and command[2].casefold() != BOT["username"].casefold():
        return Post(body)  # for another bot
    if not command and chat["type"] != "private":
        return Post(body)  # chatter in a group
    name = command[1].lower() if command else ""
    unknown = name if name and name not in COMMANDS and name != "cancel" else ""
    lang = language(person.get("language_code"), person["id"], chat["id"])
    return Post(body, chat=str(chat["id"]), lang=lang, unknown=unknown)


def private(person: int, text: str, lang: str = "de", **extra: Any) -> Post:
    """``person`` (whose Telegram speaks ``lang``) writes ``text`` to the bot privately (or
    where ``chat`` says)."""
    message = Mangled(
        message_id=1,
        date=1_790_000_000,
        chat={"id": person, "type": "private", "first_name": "x"},
        text=text,
    )
    message.update(extra)
    message["from"] = {"id": person, "is_bot": False, "first_name": "x", "language_code": lang}
    return update("message", next(_fresh), message)


def press(
    person: int, text: str, entities: list[Any], data: str, label: str, message_id: int = 7
) -> Post:
    """``person`` presses the button ``label`` (``data``) under the bot's message ``text``."""
    message = {
        "message_id": message_id,
        "date": 1_790_000_000,
        "chat": {"id": person, "type": "private"},
        "from": BOT,
        "text": text,
        "entities": entities,
        "reply_markup": {"inline_keyboard": [[{"text": label, "callback_data": data}]]},
    }
    user = {"id": person, "is_bot": False, "first_name": "x"}
    query = Mangled(id=f"cq{next(_fresh)}", chat_instance="ci", data=data, message=message)
    query["from"] = user
    return update("callback_query", next(_fresh), query)


def language(code: str | None, person: int, chat: int) -> str:
    """The reader's language: their Telegram's, if the bot speaks it; else the directory's for
    them, else their customer's (known by the group they write in); else English."""
    base = re.split(r"[_\-.@]", code.strip(), maxsplit=1)[0].lower() if code else ""
    if base in ("nl", "de", "en") and code and code.lower().startswith(base):
        return base
    return KNOWN.get(person) or ("nl" if chat == CUSTOMER_GROUP else "en")


conversations = st.one_of(
    # Whatever a person writes, privately or in a group, as Telegram sends it.
    st.builds(private, st.sampled_from(PEOPLE), texts, languages),
    st.builds(
        lambda person, text, lang, group: private(
            person, text, lang, chat={"id": group, "type": "supergroup"}
        ),
        st.sampled_from(PEOPLE),
        texts,
        languages,
        st.sampled_from([CUSTOMER_GROUP, SUPPORT_GROUP]),
    ),
)
updates = st.one_of(
    conversations,
    conversations,
    choice_presses,
    st.builds(update, st.just("message"), update_ids, messages),
    st.builds(update, st.just("callback_query"), update_ids, queries),
    st.builds(update, st.just("my_chat_member"), update_ids, members),
    st.builds(
        update,
        st.sampled_from(["edited_message", "channel_post", "poll", "future_kind", "message"]),
        update_ids,
        junk,
    ),
    st.builds(lambda j: Post(json.dumps(j).encode()), junk),
    st.builds(lambda j: Post(j.encode(), 200 if _is_json(j) else 400), json_ish),
    st.builds(lambda b: Post(b, 200 if _is_json(b) else 400), st.binary(max_size=50)),
)


def _is_json(raw: str | bytes) -> bool:
    try:
        json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except ValueError:
        return False
    except RecursionError:
        return True  # JSON, nested too deep to read
    return True
