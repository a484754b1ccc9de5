"""A person's conversation in progress: the ``Draft`` row (one per platform and user) that holds
a half-answered questionnaire, a staff action waiting for its words, or a question to forward,
so a restart resumes it. Looked up on every message, dropped when the person starts over or
cancels.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from sla.models import Draft

# The most text kept of one answer (a field, the text after /incident, a forwarded question).
MAX_FIELD_LENGTH = 4000


# Built once: every message looks its draft up, and building the select costs more than
# running it (see ``sla.directory``).
_DRAFT = (
    select(Draft)
    .where(col(Draft.platform) == bindparam("platform"))
    .where(col(Draft.user_id) == bindparam("user_id"))
)


def get_draft(session: Session, platform: str, user_id: str) -> Draft | None:
    return session.exec(_DRAFT, params={"platform": platform, "user_id": user_id}).first()


def drop_draft(session: Session, platform: str, user_id: str) -> bool:
    draft = get_draft(session, platform, user_id)
    if draft is None:
        return False
    session.delete(draft)
    session.flush()  # the unit of work would insert a replacement before deleting this one
    return True
