"""``slabot outbox list|retry``: see messages that are waiting or parked, and send them again.

slabot outbox list --status parked --format json
slabot outbox retry 42 43        # exit 1 when none of them could be retried
slabot outbox retry --all-parked
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlmodel import Session, col, select

from bot.cli_common import cli_translator, fail
from bot.database import open_database
from bot.settings import Settings
from sla.db import session_scope
from sla.models import Incident, OutboxMessage

_ = cli_translator()._
app = typer.Typer(help=_("Outgoing messages that wait or failed."), no_args_is_help=True)


class ListFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("list")
def list_(
    status: Annotated[
        str, typer.Option(help=_("pending, parked or all (sent messages are not listed)."))
    ] = "all",
    show_text: Annotated[bool, typer.Option(help=_("Show the message text too."))] = False,
    format: Annotated[
        ListFormat, typer.Option("--format", help=_("text or json."))
    ] = ListFormat.text,
) -> None:
    """Messages not delivered yet, oldest first."""
    t = cli_translator()
    wanted = {"pending": ["pending"], "parked": ["parked"], "all": ["pending", "parked"]}
    if status not in wanted:
        fail(t._("Status must be pending, parked or all."))
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.status).in_(wanted[status]))
                .order_by(col(OutboxMessage.id))
            ).all()
            refs = _incident_refs(session, rows) if format == ListFormat.json else {}
    finally:
        engine.dispose()
    if format == ListFormat.json:
        listed = [_as_json(row, refs, show_text) for row in rows]
        typer.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
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
    if not rows:
        typer.echo(t._("No messages are waiting."))


def _incident_refs(session: Session, rows: Any) -> dict[int, str]:
    """The reference (``PLEK-42``) of each incident the messages belong to, by id."""
    ids = {row.incident_id for row in rows if row.incident_id is not None}
    if not ids:
        return {}
    found = session.exec(select(Incident.id, Incident.ref).where(col(Incident.id).in_(ids)))
    return {incident_id: ref for incident_id, ref in found if incident_id is not None}


def _as_json(row: OutboxMessage, refs: dict[int, str], show_text: bool) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    entry: dict[str, Any] = {
        "id": row.id,
        "status": row.status,
        "platform": row.platform,
        "chat_id": row.chat_id,
        "attempts": row.attempts,
        "created_at": when(row.created_at),
        "next_attempt_at": when(row.next_attempt_at),
        "sent_at": when(row.sent_at),
        "last_error": row.last_error,
        "incident": refs.get(row.incident_id) if row.incident_id is not None else None,
    }
    if show_text:
        entry["text"] = row.payload.get("text")
    return entry


@app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help=_("Message ids."))] = None,
    all_parked: Annotated[bool, typer.Option(help=_("Retry every parked message."))] = False,
) -> None:
    """Send parked messages again (from the first attempt). Exit code 1 when none of the ids
    given could be: unknown, or not parked (pending ones are still being tried, sent ones are
    done)."""
    t = cli_translator()
    if not ids and not all_parked:
        fail(t._("Name message ids, or use --all-parked."))
    wanted = list(dict.fromkeys(ids or []))  # in the order given, each once
    engine = open_database(Settings().database_url)
    try:
        with session_scope(engine) as session:
            query = select(OutboxMessage)
            if wanted:
                query = query.where(col(OutboxMessage.id).in_(wanted))
            else:
                query = query.where(OutboxMessage.status == "parked")
            found = {row.id: row for row in session.exec(query).all()}
            parked = [row for row in found.values() if row.status == "parked"]
            for row in parked:
                row.status, row.attempts, row.locked_until = "pending", 0, None
                row.next_attempt_at = datetime.now(UTC)
                session.add(row)
    finally:
        engine.dispose()
    retried = {row.id for row in parked}
    unknown = [str(i) for i in wanted if i not in found]
    not_parked = [f"{i} ({found[i].status})" for i in wanted if i in found and i not in retried]
    if unknown:
        typer.echo(
            t.n_(
                "There is no message {ids}.",
                "There are no messages {ids}.",
                len(unknown),
                ids=", ".join(unknown),
            ),
            err=True,
        )
    if not_parked:
        typer.echo(
            t.n_(
                "Message {ids} is not parked and stays as it is.",
                "Messages {ids} are not parked and stay as they are.",
                len(not_parked),
                ids=", ".join(not_parked),
            ),
            err=True,
        )
    if wanted and not retried:
        raise typer.Exit(1)
    count = len(retried)
    typer.echo(t.n_("{n} message will be sent again.", "{n} messages will be sent again.", count))
