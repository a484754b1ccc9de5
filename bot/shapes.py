"""JSON shapes: what a platform's payload must look like before code indexes into it.

Slack's and Telegram's payloads arrive authenticated, yet what reads them (bolt, PTB, the
adapters) assumes their documented shape: ``body["user"]["id"]``, ``message.chat.id``. A field of
another type, or a missing one that is always there, ends in an exception far from the cause.
Each adapter states the shapes it relies on (``bot/slack/payloads.py``,
``bot/telegram/_updates.py``) and checks a payload with :func:`misfit` first.

A shape is a type (``str``; ``int`` does not take ``True``), alternatives (a tuple; ``NULL``
allows null), a list of one shape (a list of those), a dict (an object whose known fields have
those shapes; other fields are free; the key ``""`` stands for every field) or an :class:`Obj`
(a dict shape with fields that must be there, not null and not ``""``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

NULL = type(None)


@dataclass(frozen=True)
class Obj:
    """An object shape with ``required`` fields."""

    fields: dict[str, Shape]
    required: tuple[str, ...] = ()


Shape: TypeAlias = type | tuple["Shape", ...] | dict[str, "Shape"] | list["Shape"] | Obj


def misfit(value: Any, shape: Shape, path: str = "body") -> str | None:
    """What in ``value`` does not fit ``shape`` (the first thing found, by its path), or None."""
    if isinstance(shape, tuple):
        misfits = [misfit(value, alternative, path) for alternative in shape]
        return None if None in misfits else misfits[0]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path} is not a list"
        for i, item in enumerate(value):
            if found := misfit(item, shape[0], f"{path}.{i}"):
                return found
        return None
    if isinstance(shape, Obj):
        if isinstance(value, dict):
            for key in shape.required:
                if value.get(key) in (None, ""):
                    return f"{path}.{key} is missing"
        shape = shape.fields
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{path} is not an object"
        for key, item in value.items():
            inner = shape.get(key, shape.get(""))
            if inner is not None and (found := misfit(item, inner, f"{path}.{key}")):
                return found
        return None
    if isinstance(value, bool) and shape is not bool:
        return f"{path} is not {shape.__name__}"
    return None if isinstance(value, shape) else f"{path} is not {shape.__name__}"


def value_at(body: Any, path: str) -> Any:
    """The value at a dotted path (``actions.0.action_id``); None where there is none."""
    node = body
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node
