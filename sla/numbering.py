"""Numbers for incident and problem refs (``PLEK-42``, ``PRB-3``): one counter per prefix in the
database, bumped atomically, also across replicas.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sla.models import Counter

# Built once: it is on the filing path, and building a statement costs more than running it on
# SQLite. The counter is bumped on its table, not through the ORM: an ORM UPDATE also searches the
# session for Counter objects to synchronise (nothing reads them), which costs 4x the statement.
_COUNTER = Counter.metadata.tables["counter"]
_BUMP = (
    update(_COUNTER)
    .where(_COUNTER.c.prefix == bindparam("counter_prefix"))
    .values(last=_COUNTER.c.last + 1)
    .returning(_COUNTER.c.last)
)


def next_number(session: Session, prefix: str) -> int:
    """Hand out the next number for ``prefix`` atomically, also across replicas."""
    value = session.execute(_BUMP, {"counter_prefix": prefix}).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        with session.begin_nested():
            session.add(Counter(prefix=prefix, last=0))
    except IntegrityError:
        pass  # another transaction created it first
    return next_number(session, prefix)
