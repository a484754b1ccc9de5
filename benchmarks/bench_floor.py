"""The CPU floor of the libraries under the bot's hot path (issue #8, "Load").

Run from the repository root::

    python benchmarks/bench_floor.py                    # 2000 calls a run, best of 3
    python benchmarks/bench_floor.py --iterations 5000 --db-iterations 20000 --runs 5

CPU µs per operation (``time.process_time`` over a run, best of ``--runs``) of aiohttp,
slack_bolt, slack_sdk, python-telegram-bot, SQLAlchemy/SQLModel and sqlite3 alone, set up as the
bot sets them up, with no-op listeners, over 127.0.0.1:

* **in**: a child process (``--serve``) answers one request at a time; its ``process_time``, read
  over HTTP before and after, is the figure. ``/slack/events`` as ``SlackService.handle_http``
  (HMAC check, ``AsyncBoltRequest``, ``async_dispatch`` with ``process_before_response``, no
  request verification, the bot's nine listeners only acking); the webhook as
  ``bot.telegram._webhook`` (secret header, ``Update.de_json``, ``process_update``, a no-op
  ``TypeHandler``; the bot does not use PTB's ``start_webhook``). The bot's shape checks are left
  out. Also a bare aiohttp handler, and bolt's and PTB's dispatch here without HTTP.
* **out**: this process's CPU per ``AsyncWebClient.chat_postMessage`` (a shared aiohttp session)
  and ``ExtBot.send_message`` over the bot's ``AiohttpRequest``, against fakes in the child.
* **database**: SQLite in WAL from ``sla.db.make_engine``, migrated, the demo directory imported.

Floor of one report: 4.6 requests in and 6 Web API calls out (Slack), 5 updates in and 11 Bot
API calls out (Telegram); 200 reports/s on one process leaves 5 ms of CPU a report.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

try:
    import sla  # noqa: F401
except ImportError:  # run from a checkout without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import yaml
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select as core_select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, TypeHandler

from bot.telegram._request import AiohttpRequest
from sla.db import make_engine, session_scope, upgrade
from sla.directory_file import import_directory, parse_directory
from sla.models import InboundEvent, Staff

DEMO_DIRECTORY = Path(__file__).resolve().parents[1] / "bot" / "console" / "demo.yaml"
SECRET, TOKEN, WEBHOOK_SECRET = "bench-signing-secret", "123456:BENCH-token", "bench-secret"
SECRET_HEADER, WEBHOOK = "X-Telegram-Bot-Api-Secret-Token", "/telegram/webhook"
REQUESTS = {"Slack": (4.6, 6), "Telegram": (5, 11)}  # per report: requests in, API calls out
# How the requests of a report divide into kinds, from bench_load's walks through the five seed
# policies: /incident, 1.35 choices, 2.47 submissions (fields, "File"); on Telegram 2.47
# messages (/incident, fields) and 2.35 presses (choices, "File"). The totals are REQUESTS.
MIX = {
    "Slack": {"command": 1.0, "block_actions": 1.35, "view_submission": 2.47},
    "Telegram": {"message": 2.47, "callback_query": 2.35},
}

# -- what the platforms send ---------------------------------------------------------------------

BOT = dict(id=123456, is_bot=True, first_name="slabot", username="slabot_bench_bot")
USER = dict(id=100000001, is_bot=False, first_name="Reporter 1", language_code="nl")
CHAT = dict(id=100000001, type="private", first_name="Reporter 1")
OPTIONS = [dict(text=dict(type="plain_text", text=f"Option {n}"), value=f"a{n}") for n in range(5)]
CHOICE = dict(type="radio_buttons", action_id="slabot|answer", options=OPTIONS)
VIEW = dict(id="V1", hash="h1", type="modal", callback_id="slabot_form") | dict(
    private_metadata=json.dumps({"s": "impact", "a": {"kind": "outage"}}),
    title=dict(type="plain_text", text="Report an incident"),
    blocks=[
        dict(type="section", text=dict(type="mrkdwn", text="*What is affected?*")),
        dict(type="actions", block_id="q-impact", elements=[CHOICE]),
        dict(type="context", elements=[dict(type="mrkdwn", text="Step 2 of 5")]),
    ],
)
WHO = dict(team=dict(id="T1"), user=dict(id="U0000001", username="r1"), api_app_id="A1") | dict(
    trigger_id="t.2", container=dict(type="view", view_id="V1")
)
PRESS = dict(type="radio_buttons", action_id="slabot|answer", block_id="q-impact", action_ts="1")
PRESS |= dict(selected_option=OPTIONS[2])
FILLED = VIEW | dict(state=dict(values=dict(answer=dict(text=dict(value="502 since 10:00")))))
SLACK_BODIES = {
    "command": urlencode(
        dict(token="legacy", team_id="T1", channel_id="CPLEK0", user_id="U0000001", text="")
        | dict(user_name="r1", command="/incident", api_app_id="A1", trigger_id="U0000001.1")
        | dict(response_url="http://127.0.0.1:9/response/1")
    ),
    "block_actions": urlencode(
        dict(payload=json.dumps(WHO | dict(type="block_actions", view=VIEW, actions=[PRESS])))
    ),
    "view_submission": urlencode(
        dict(payload=json.dumps(WHO | dict(type="view_submission", trigger_id="t.3", view=FILLED)))
    ),
}
KEYBOARD = [[dict(text=f"Option {n}", callback_data=f"a:{n}")] for n in range(5)]
QUESTION = dict(message_id=7, date=1790000000, chat=CHAT, text="What is affected?") | {
    "from": BOT,
    "reply_markup": dict(inline_keyboard=KEYBOARD),
}
COMMAND = dict(text="/incident", entities=[dict(type="bot_command", offset=0, length=9)])
MESSAGE = dict(message_id=8, date=1790000000, chat=CHAT, **COMMAND) | {"from": USER}
PRESSED = dict(id="cq1", chat_instance="c", data="a:2", message=QUESTION) | {"from": USER}
UPDATES = {
    "message": dict(update_id=1, message=MESSAGE),
    "callback_query": dict(update_id=2, callback_query=PRESSED),
}


def slack_headers(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


# -- the libraries, set up as the bot does -------------------------------------------------------


async def ack_only(ack: Any) -> None:
    await ack()


async def nothing(update: Update, context: Any) -> None:
    pass


def slack_app(api: str) -> AsyncApp:
    """bolt as SlackAdapter builds it (HTTP mode), with its nine listeners, each only acking."""
    client = AsyncWebClient(token="xoxb-bench", base_url=f"{api}/api/")
    bolt = AsyncApp(
        client=client,
        signing_secret=SECRET,
        name="slabot",
        process_before_response=True,
        request_verification_enabled=False,
    )
    for kind, matcher in [
        ("command", "/incident"), ("command", "/slabot"), ("shortcut", "slabot_report"),
        ("event", "app_mention"), ("event", "message"), ("action", "slabot_form"),
        ("action", re.compile(r"^slabot\|")), ("view_submission", "slabot_form"),
        ("view_closed", "slabot_form"),
    ]:  # fmt: skip
        getattr(bolt, kind)(matcher)(ack_only)
    return bolt


async def telegram_app(api: str) -> Application[Any, Any, Any, Any, Any, Any]:
    """PTB's Application as bot.telegram._service builds it (webhook mode), started."""
    builder = Application.builder().token(TOKEN).job_queue(None).request(AiohttpRequest())
    builder = builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    builder = builder.base_url(f"{api}/bot").base_file_url(f"{api}/file/bot").updater(None)
    application = builder.build()
    application.add_handler(TypeHandler(Update, nothing))
    await application.initialize()
    await application.start()
    return application


# -- the child process: the bot's endpoints and the fake APIs ------------------------------------


async def serve() -> None:
    message = dict(message_id=9, date=1790000000, chat=CHAT, text="ok") | {"from": BOT}
    slack = dict(ok=True, user_id="UBOT", bot_id="BBOT", team_id="T1", channel="D1", ts="1.2")
    answers = {m: {"ok": True, "result": r} for m, r in [("getMe", BOT), ("sendMessage", message)]}
    answers |= {"slack": slack, "true": {"ok": True, "result": True}}
    encoded = {key: json.dumps(value).encode() for key, value in answers.items()}
    state: dict[str, Any] = {}

    async def fake(request: web.Request) -> web.Response:  # Slack's and Telegram's, lean
        await request.read()
        method = "slack" if request.path.startswith("/api/") else request.match_info["method"]
        body = encoded.get(method, encoded["true"])
        return web.Response(body=body, content_type="application/json")

    async def slack_events(request: web.Request) -> web.Response:  # SlackService.handle_http
        raw = await request.read()
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        expected = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
        given = request.headers.get("X-Slack-Signature", "")
        fresh = stamp.isascii() and stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
        if not fresh or not hmac.compare_digest("v0=" + expected.hexdigest(), given):
            return web.json_response({"error": "invalid request"}, status=401)
        headers = dict(request.headers)
        bolt_req = AsyncBoltRequest(body=raw.decode(), query=request.query_string, headers=headers)
        return await to_aiohttp_response(await state["bolt"].async_dispatch(bolt_req))

    async def webhook(request: web.Request) -> web.Response:  # bot.telegram._webhook
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), WEBHOOK_SECRET):
            return web.Response(status=403)
        application = state["telegram"]
        data = json.loads((await request.read()).decode())
        await application.process_update(Update.de_json(data, application.bot))
        return web.Response()

    async def cpu(request: web.Request) -> web.Response:
        return web.Response(text=repr(time.process_time()))

    server = web.Application()
    server.router.add_route("*", "/api/{method}", fake)
    server.router.add_post("/bot{token}/{method}", fake)
    server.router.add_post("/slack/events", slack_events)
    server.router.add_post(WEBHOOK, webhook)
    server.router.add_get("/cpu", cpu)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = "http://{}:{}".format(*runner.addresses[0][:2])
    state["bolt"], state["telegram"] = slack_app(base), await telegram_app(base)
    print(base, flush=True)
    await asyncio.Event().wait()


# -- measuring -----------------------------------------------------------------------------------


def measure_sync(call: Callable[[], Any], n: int, runs: int) -> float:
    """Best CPU µs per call of this process over ``runs`` of ``n`` calls, after a warm-up."""
    for _ in range(max(n // 10, 20)):
        call()
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


async def dispatch_alone(bolt: AsyncApp, body: str, headers: dict[str, str]) -> None:
    await bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))


async def process_alone(application: Any, raw: str) -> None:
    await application.process_update(Update.de_json(json.loads(raw), application.bot))


async def network_rows(base: str, n: int, runs: int) -> dict[str, float]:
    rows: dict[str, float] = {}
    async with aiohttp.ClientSession() as http:

        async def child_cpu() -> float:
            async with http.get(f"{base}/cpu") as response:
                return float(await response.text())

        async def measure(call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
            """Best CPU µs per call: (this process, the child), as measure_sync."""
            for _ in range(max(n // 10, 20)):
                await call()
            here = there = float("inf")
            for _ in range(runs):
                started, child0 = time.process_time(), await child_cpu()
                for _ in range(n):
                    await call()
                child1, ended = await child_cpu(), time.process_time()
                here = min(here, (ended - started) / n * 1e6)
                there = min(there, (child1 - child0) / n * 1e6)
            return here, there

        def post(path: str, body: str, headers: Callable[[], dict[str, str]]) -> Any:
            async def call() -> None:
                async with http.post(base + path, data=body.encode(), headers=headers()) as answer:
                    await answer.read()
                    assert answer.status == 200, answer.status

            return call

        plain = post("/api/auth.test", SLACK_BODIES["command"], dict)  # a bare handler
        here, there = await measure(plain)
        rows |= {"aiohttp server: bare POST handler": there, "aiohttp client: bare POST": here}
        for kind, body in SLACK_BODIES.items():
            signed = post("/slack/events", body, lambda body=body: slack_headers(body))
            rows[f"Slack in: {kind} (server)"] = (await measure(signed))[1]
        hook = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        for kind, update in UPDATES.items():
            pushed = post(WEBHOOK, json.dumps(update), hook.copy)
            rows[f"Telegram in: {kind} (server)"] = (await measure(pushed))[1]

        bolt, application = slack_app(base), await telegram_app(base)
        for kind, body in SLACK_BODIES.items():
            dispatch = partial(dispatch_alone, bolt, body, slack_headers(body))
            rows[f"bolt dispatch alone: {kind}"] = (await measure(dispatch))[0]
        for kind, update in UPDATES.items():
            process = partial(process_alone, application, json.dumps(update))
            rows[f"PTB de_json + process_update: {kind}"] = (await measure(process))[0]

        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        retry = [AsyncConnectionErrorRetryHandler()]  # the delivery client's, as the bot's
        client = AsyncWebClient("xoxb-bench", f"{base}/api/", session=session, retry_handlers=retry)
        blocks = [dict(type="section", text=dict(type="mrkdwn", text="*PL-42* filed"))]
        post_message = partial(client.chat_postMessage, channel="U1", text="PL-42", blocks=blocks)
        rows["Slack out: chat_postMessage (client)"] = (await measure(post_message))[0]
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(f"Option {i}", callback_data=f"a:{i}")] for i in range(5)]
        )
        send = partial(application.bot.send_message, 1, "<b>What?</b>", reply_markup=keyboard)
        rows["Telegram out: send_message (client)"] = (await measure(send))[0]
        await session.close()
        await application.stop()
        await application.shutdown()
    return rows


def database_rows(n: int, runs: int) -> dict[str, float]:
    rows: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'slabot.sqlite3'}")
        upgrade(engine)
        with session_scope(engine) as session:
            import_directory(session, parse_directory(yaml.safe_load(DEMO_DIRECTORY.read_text())))
        by_model = select(Staff).where(Staff.handle == "lisa")
        staff = Staff.metadata.tables["staff"]
        by_core = core_select(staff).where(staff.c.handle == "lisa")
        with Session(engine) as session:  # one open transaction (BEGIN IMMEDIATE at first use)

            def orm() -> None:
                session.exec(by_model).one()
                session.expunge_all()  # load the row anew, as a handler's fresh session does

            rows["DB: Staff by handle, SQLModel session.exec"] = measure_sync(orm, n, runs)
            rows["DB: Staff by handle, Core on session.connection()"] = measure_sync(
                lambda: session.connection().execute(by_core).one(), n, runs
            )
        raw = engine.raw_connection()
        cursor, sql = raw.cursor(), "SELECT * FROM staff WHERE handle = ?"
        rows["DB: Staff by handle, raw sqlite3 cursor"] = measure_sync(
            lambda: cursor.execute(sql, ("lisa",)).fetchone(), n, runs
        )
        cursor.close()
        raw.close()

        def empty() -> None:
            with session_scope(engine) as session:
                session.connection()  # the writer turn and BEGIN IMMEDIATE, then COMMIT

        rows["DB: empty transaction (session_scope)"] = measure_sync(empty, n, runs)
        table = InboundEvent.metadata.tables["inboundevent"]
        mark = (  # the statement bot.inbox marks an event seen with
            sqlite_insert(table)
            .on_conflict_do_nothing(index_elements=[table.c.platform, table.c.key])
            .returning(table.c.key)
        )
        keys, now = itertools.count(), datetime.now(UTC)

        def new_row() -> dict[str, Any]:
            return {"platform": "bench", "key": str(next(keys)), "seen_at": now}

        with engine.begin() as conn:
            rows["DB: Core INSERT, in an open transaction"] = measure_sync(
                lambda: conn.execute(mark, new_row()).all(), n, runs
            )

        def insert_commit() -> None:
            with session_scope(engine) as session:
                session.connection().execute(mark, new_row()).all()

        rows["DB: Core INSERT in its own transaction"] = measure_sync(insert_commit, n, runs)
        engine.dispose()
    return rows


def yardstick() -> float:
    """µs per ``datetime.fromtimestamp(ts, ZoneInfo)``, as bench_deadlines.py measures it."""
    zone, stamps = ZoneInfo("Europe/Amsterdam"), [1.7e9 + 37.0 * i for i in range(100_000)]

    def run() -> None:
        for ts in stamps:
            datetime.fromtimestamp(ts, zone)

    return measure_sync(run, 1, 3) / len(stamps)


def floor(rows: dict[str, float], platform_name: str, out: str) -> None:
    calls_in, calls_out = REQUESTS[platform_name]
    mix = MIX[platform_name]
    cost_in = sum(rows[f"{platform_name} in: {k} (server)"] * w for k, w in mix.items())
    cost_in /= sum(mix.values())
    total = calls_in * cost_in + calls_out * rows[out]
    print(
        f"  {platform_name + ':':<9} {calls_in} x {cost_in:.0f} µs in + {calls_out} x"
        f" {rows[out]:.0f} µs out = {total:.0f} µs: at most {1e6 / total:.0f} reports/s a core"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--iterations", type=int, default=2000, help="HTTP calls a run (2000)")
    parser.add_argument("--db-iterations", type=int, default=10000, help="queries a run (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, best kept (3)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return 0
    print(
        f"python {platform.python_version()} · nproc {os.cpu_count()} · load average"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())} · best of {args.runs} runs"
    )
    speed = yardstick()
    command = [sys.executable, __file__, "--serve"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        rows = asyncio.run(
            network_rows(child.stdout.readline().strip(), args.iterations, args.runs)
        )
    finally:
        child.terminate()
        child.wait(10)
    rows |= database_rows(args.db_iterations, args.runs)
    print("\nCPU µs per operation")
    for name, value in rows.items():
        print(f"  {name:<52} {value:8.1f}")
    print("\nfloor of one report, the libraries alone (goal: 5000 µs, 200 reports/s a process)")
    floor(rows, "Slack", "Slack out: chat_postMessage (client)")
    floor(rows, "Telegram", "Telegram out: send_message (client)")
    print(
        f"\nmachine speed, datetime.fromtimestamp(ts, ZoneInfo): {speed:.3f} µs at the start,"
        f" {yardstick():.3f} µs at the end (load average {os.getloadavg()[0]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
