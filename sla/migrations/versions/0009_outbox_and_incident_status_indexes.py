"""outbox and incidents found through indexes, however many rows are history

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:00:00.000000

Delivery reads the pending messages on every round, and claims a chat's oldest one. The
partial index of 0002 (``status = 'pending'``) is not used for a status given as a bound
parameter: SQLite matches a partial index's condition only against literals (and a
statement PostgreSQL has prepared may be planned for any value). So SQLite read every row
ever sent, every round: with a year's 300,000 sent messages a Slack report cost four times the
CPU (BENCHMARKS.md, "Load", sixth round). An index led by the status
serves every status, bound or literal. A pressed Telegram button whose value was too long
for its data is looked up in the chat's latest messages: they get an index too, as do the
staff's list of open incidents and the open-incidents gauge.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outboxmessage")
    op.create_index(
        "ix_outbox_status_chat", "outboxmessage", ["status", "platform", "chat_id", "id"]
    )
    op.create_index("ix_outbox_chat", "outboxmessage", ["platform", "chat_id", "id"])
    op.create_index("ix_incident_status_reported", "incident", ["status", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_incident_status_reported", table_name="incident")
    op.drop_index("ix_outbox_chat", table_name="outboxmessage")
    op.drop_index("ix_outbox_status_chat", table_name="outboxmessage")
    op.create_index(
        "ix_outbox_pending",
        "outboxmessage",
        ["next_attempt_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
