"""the directory's version: a number every change to who-is-who moves

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00.000000

Triggers bump it on every insert, update and delete of the directory's tables, whoever writes
(a replica, ``slabot directory import``, hand-written SQL), so the bot's in-memory copy of the
directory (``sla.directory_snapshot``) knows when to read it again. SQLite's batch migrations
rebuild a table without its triggers: a later migration that alters one of these tables in a
batch must create its triggers again (``tests/sla/test_directory_snapshot.py`` checks that
every table still moves the version at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("customer", "contact", "staff", "escalationmember", "chatbinding")
# SQLite has no statement triggers nor one for several changes: contact_inserted, …
CHANGES = {"INSERT": "inserted", "UPDATE": "updated", "DELETE": "deleted"}
BUMP = "UPDATE directoryversion SET version = version + 1"


def upgrade() -> None:
    op.create_table(
        "directoryversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO directoryversion (id, version) VALUES (1, 1)")
    if op.get_context().dialect.name == "postgresql":
        # The version row in the changed table's own schema, whatever the writer's search path.
        op.execute(
            "CREATE FUNCTION slabot_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN EXECUTE format('UPDATE %I.directoryversion SET version = version + 1',"
            " TG_TABLE_SCHEMA); RETURN NULL; END $$"
        )
        # Deferred to the commit: every writer then takes the version row's lock last, so two
        # transactions changing the directory at once queue there instead of deadlocking.
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                " EXECUTE FUNCTION slabot_directory_changed()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION slabot_directory_changed()"
            )
        return
    for table in TABLES:
        for change, done in CHANGES.items():
            op.execute(f"CREATE TRIGGER {table}_{done} AFTER {change} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
            op.execute(f"DROP TRIGGER {table}_truncated ON {table}")
        op.execute("DROP FUNCTION slabot_directory_changed()")
    else:
        for table in TABLES:
            for done in CHANGES.values():
                op.execute(f"DROP TRIGGER {table}_{done}")
    op.drop_table("directoryversion")
