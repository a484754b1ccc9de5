"""A person's conversation in progress: the ``Draft`` row (one per platform and user) that holds
a half-answered questionnaire, a staff action waiting for its words, or a question to forward,
so a restart resumes it. Looked up on every message, dropped when the person starts over or
cancels.

Drafts are read and written with statements on the session's connection, not through the
session's unit of work: a draft changes on every answer, and an ORM select plus a flush of the
changed object cost about four times the two statements. So a ``Draft`` from :func:`get_draft`
belongs to no session: change it, then :func:`save_draft` it (or :func:`delete_draft`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel import Session

from sla.models import Draft

# The most text kept of one answer (a field, the text after /incident, a forwarded question).
MAX_FIELD_LENGTH = 4000
# A draft untouched this long is dropped when its person writes again: a report left half
# done last week must not take today's message as its next answer.
KEPT = timedelta(hours=24)

_TABLE = Draft.metadata.tables["draft"]
_COLUMNS = [c.name for c in _TABLE.columns]
# Built once: every message looks its draft up, and building a statement costs more than
# running it (see ``sla.directory``).
_DRAFT = (
    select(_TABLE)
    .where(_TABLE.c.platform == bindparam("platform"))
    .where(_TABLE.c.user_id == bindparam("user_id"))
)
_ADD = insert(_TABLE).returning(_TABLE.c.id)
_SAVE = update(_TABLE).where(_TABLE.c.id == bindparam("draft_id"))
_DELETE = delete(_TABLE).where(_TABLE.c.id == bindparam("draft_id"))
_DROP = (
    delete(_TABLE)
    .where(_TABLE.c.platform == bindparam("platform"))
    .where(_TABLE.c.user_id == bindparam("user_id"))
)


def get_draft(session: Session, platform: str, user_id: str) -> Draft | None:
    params = {"platform": platform, "user_id": user_id}
    row = session.connection().execute(_DRAFT, params).first()
    return Draft(**row._asdict()) if row is not None else None


def expired(draft: Draft, now: datetime) -> bool:
    """Whether ``draft`` was left alone for longer than :data:`KEPT`."""
    return now - draft.updated_at > KEPT


def save_draft(session: Session, draft: Draft) -> Draft:
    """Store a new draft (it gets its id) or a changed one, in the session's transaction."""
    values: dict[str, Any] = {name: getattr(draft, name) for name in _COLUMNS if name != "id"}
    connection = session.connection()
    if draft.id is None:
        draft.id = connection.execute(_ADD, values).scalar_one()
    else:
        connection.execute(_SAVE, {**values, "draft_id": draft.id})
    return draft


def delete_draft(session: Session, draft: Draft) -> None:
    if draft.id is not None:
        session.connection().execute(_DELETE, {"draft_id": draft.id})


def drop_draft(session: Session, platform: str, user_id: str) -> bool:
    """Forget the person's draft, if any; whether there was one."""
    result = session.connection().execute(_DROP, {"platform": platform, "user_id": user_id})
    return bool(result.rowcount)
