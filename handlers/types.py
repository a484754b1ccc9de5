"""The neutral vocabulary between chat platforms and the bot's behaviour.

Adapters turn platform payloads into the inbound events below and draw the outbound
:class:`Reply` natively (Block Kit, inline keyboards, plain text). Platform ids travel as opaque
strings; a handler never sends anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Action(StrEnum):
    """Button ids. Values are short so that Telegram's 64-byte callback data has room."""

    ANSWER = "a"
    CONFIRM = "ok"
    CANCEL = "x"
    ACK = "ack"
    PRIORITY = "pr"  # value: ref, asks which priority
    SET_PRIORITY = "sp"  # value: "ref priority"
    WAIT = "w"
    RESUME = "rs"
    RESOLVE = "rv"
    ROOT_CAUSE = "rc"
    ASSIGN_ME = "me"
    REOPEN = "ro"
    CLOSE = "cl"
    EXPLAIN_BREACH = "eb"  # value: ref, asks the reason and a new estimate for the customer


@dataclass(frozen=True)
class UserRef:
    platform: str
    id: str
    name: str = ""
    locale: str | None = None


@dataclass(frozen=True)
class ChatRef:
    platform: str
    id: str
    private: bool = True


@dataclass(frozen=True)
class MessageRef:
    chat: ChatRef
    id: str


@dataclass(frozen=True)
class Command:
    """``/name args`` typed by someone."""

    name: str
    args: str
    user: UserRef
    chat: ChatRef


@dataclass(frozen=True)
class Text:
    """A plain message: the answer to the question the bot asked this person last."""

    text: str
    user: UserRef
    chat: ChatRef


@dataclass(frozen=True)
class ButtonPress:
    action: Action
    value: str
    user: UserRef
    chat: ChatRef
    message: MessageRef | None = None


@dataclass(frozen=True)
class FormSubmit:
    """A whole form at once (a Slack modal): the questionnaire's answers and fields."""

    form: str
    values: dict[str, str]
    user: UserRef
    chat: ChatRef


Inbound = Command | Text | ButtonPress | FormSubmit


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    value: str = ""
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class Prompt:
    """A question the person answers next: by a choice, or in free text."""

    step: str
    text: str
    choices: tuple[Choice, ...] = ()
    hint: str | None = None
    multiline: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (a report's chart or CSV)."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """One outgoing message.

    ``chat`` None means the chat the event came from. ``key`` names a message that is edited in
    place on later changes (the incident card): a transport that already sent a message under
    that key edits it instead of sending a new one. ``incident`` is the database id of the
    incident the message is about, if any (the outbox keeps it, ``slabot outbox list`` shows it).
    """

    text: str
    chat: ChatRef | None = None
    title: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    prompt: Prompt | None = None
    key: str | None = None
    ephemeral: bool = False
    alert: bool = False
    lang: str = "en"
    tags: tuple[str, ...] = field(default=())
    attachments: tuple[Attachment, ...] = ()
    incident: int | None = None
