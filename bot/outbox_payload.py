"""An outbox message's payload: a neutral reply as JSON values, and back."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from handlers.types import Action, Attachment, Button, ChatRef, Choice, Prompt, Reply


def to_payload(reply: Reply) -> dict[str, Any]:
    """The reply as JSON values, every field of it (field by field: ``asdict`` deep-copies)."""
    chat, prompt = reply.chat, reply.prompt
    return {
        "text": reply.text,
        "chat": {"platform": chat.platform, "id": chat.id, "private": chat.private}
        if chat
        else None,
        "title": reply.title,
        "facts": [[name, value] for name, value in reply.facts],
        "buttons": [
            {"label": b.label, "action": str(b.action), "value": b.value, "style": b.style}
            for b in reply.buttons
        ],
        "prompt": {
            "step": prompt.step,
            "text": prompt.text,
            "choices": [{"id": c.id, "label": c.label} for c in prompt.choices],
            "hint": prompt.hint,
            "multiline": prompt.multiline,
        }
        if prompt
        else None,
        "key": reply.key,
        "ephemeral": reply.ephemeral,
        "alert": reply.alert,
        "lang": reply.lang,
        "tags": list(reply.tags),
        "attachments": [
            {"name": a.name, "mime": a.mime, "data": base64.b64encode(a.data).decode("ascii")}
            for a in reply.attachments
        ],
        "incident": reply.incident,
    }


def from_payload(data: Mapping[str, Any]) -> Reply:
    chat = data.get("chat")
    prompt = data.get("prompt")
    return Reply(
        text=data["text"],
        chat=ChatRef(**chat) if chat else None,
        title=data.get("title"),
        facts=tuple((str(f[0]), str(f[1])) for f in data.get("facts", ())),
        buttons=tuple(
            Button(b["label"], Action(b["action"]), b["value"], b["style"])
            for b in data.get("buttons", ())
        ),
        prompt=Prompt(
            prompt["step"],
            prompt["text"],
            tuple(Choice(**c) for c in prompt["choices"]),
            prompt["hint"],
            prompt["multiline"],
        )
        if prompt
        else None,
        key=data.get("key"),
        ephemeral=data.get("ephemeral", False),
        alert=data.get("alert", False),
        lang=data.get("lang", "en"),
        tags=tuple(data.get("tags", ())),
        attachments=tuple(
            Attachment(a["name"], a["mime"], base64.b64decode(a["data"]))
            for a in data.get("attachments", ())
        ),
        incident=data.get("incident"),
    )
