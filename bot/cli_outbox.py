"""``slabot outbox list|retry``: see messages that are waiting or parked, and send them again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlmodel import col, select

from bot.cli_common import cli_translator, fail
from bot.database import open_database
from bot.settings import Settings
from sla.db import session_scope
from sla.models import OutboxMessage

_ = cli_translator()._
app = typer.Typer(help=_("Outgoing messages that wait or failed."), no_args_is_help=True)


@app.command("list")
def list_(
    status: Annotated[
        str, typer.Option(help=_("pending, parked or all (sent messages are not listed)."))
    ] = "all",
    show_text: Annotated[bool, typer.Option(help=_("Show the message text too."))] = False,
) -> None:
    """Messages not delivered yet, oldest first."""
    t = cli_translator()
    wanted = {"pending": ["pending"], "parked": ["parked"], "all": ["pending", "parked"]}
    if status not in wanted:
        fail(t._("Status must be pending, parked or all."))
    engine = open_database(Settings().database_url)
    with session_scope(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.status).in_(wanted[status]))
            .order_by(col(OutboxMessage.id))
        ).all()
        attempts = t._("attempts")
        for row in rows:
            line = (
                f"{row.id}\t{row.status}\t{row.platform}:{row.chat_id}\t"
                f"{attempts}={row.attempts}\t{row.created_at.isoformat()}\t"
                f"{row.last_error or ''}"
            )
            if show_text:
                line += "\t" + str(row.payload.get("text", "")).replace("\n", " ")[:200]
            typer.echo(line)
    engine.dispose()
    if not rows:
        typer.echo(t._("No messages are waiting."))


@app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help=_("Message ids."))] = None,
    all_parked: Annotated[bool, typer.Option(help=_("Retry every parked message."))] = False,
) -> None:
    """Send parked messages again (from the first attempt)."""
    t = cli_translator()
    if not ids and not all_parked:
        fail(t._("Name message ids, or use --all-parked."))
    engine = open_database(Settings().database_url)
    with session_scope(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.status == "parked")
        if ids:
            query = query.where(col(OutboxMessage.id).in_(ids))
        rows = session.exec(query).all()
        for row in rows:
            row.status, row.attempts, row.locked_until = "pending", 0, None
            row.next_attempt_at = datetime.now(UTC)
            session.add(row)
        count = len(rows)
    engine.dispose()
    typer.echo(t.n_("{n} message will be sent again.", "{n} messages will be sent again.", count))
