"""The database going away and coming back: ``slabot run`` on PostgreSQL recovers by itself.

The bot reaches PostgreSQL through a TCP proxy on 127.0.0.1 that the test cuts (every
connection dropped, new ones refused) and restores, as a network failure or a database restart
would. Real time, a real ``slabot run`` process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import IO
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from sla.models import Timer
from tests.chat import ChatDriver
from tests.conftest import POSTGRES_URL, load_demo_directory

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.postgres


class CuttableProxy:
    """Forwards 127.0.0.1:port to the database; cut, it drops every connection and closes new
    ones at once (as a database that restarts or a network that fails)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = True
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.up = False
        with self._lock:
            for sock in self._open:
                with_suppressed_close(sock)
            self._open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        with_suppressed_close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.up:
                with_suppressed_close(client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with_suppressed_close(sink)


def with_suppressed_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def _until(check: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _bot_through(proxy: CuttableProxy, schema: str, tmp_path: Path) -> tuple[Popen, IO, str]:
    """``slabot run`` on ``schema`` through the proxy, its log in a file (an unread pipe would
    block the bot); the process, the log and the /readyz URL."""
    url = make_url(POSTGRES_URL).set(host="127.0.0.1", port=proxy.port)
    options = quote(f"-csearch_path={schema}")
    health = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))},
        "SLABOT_DATABASE_URL": f"{url.render_as_string(hide_password=False)}?options={options}",
        "SLABOT_HEALTH_PORT": str(health),
    }
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    return process, log, f"http://127.0.0.1:{health}/readyz"


def _stopped(process: Popen, log: IO) -> str:
    """SIGTERM, wait, and the whole log."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    log.seek(0)
    output = log.read()
    log.close()
    return output


@pytest.fixture
def proxy() -> Iterator[CuttableProxy]:
    url = make_url(POSTGRES_URL)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


def test_the_bot_recovers_when_the_database_comes_back(
    postgres_engine: Engine, proxy: CuttableProxy, tmp_path: Path
) -> None:
    """The bot waits for a database that is not there yet; while it is away later, the bot
    stays up and says it is not ready; when it is back the bot is ready again by itself and
    a timer that fell due during the outage fires within seconds."""
    load_demo_directory(postgres_engine)
    with postgres_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    # A Klik P1 (around the clock) reported 70 minutes ago: some timers are due already and
    # some are not, whatever the hour. (Its response is due in 1 h inside office hours, 2 h
    # outside: 40 minutes ago left nothing due in the evening, when reminders start at half.)
    chat = ChatDriver(postgres_engine, datetime.now(UTC) - timedelta(minutes=70))
    chat.say("sanne", "/incident")
    for answer in ("1", "Niemand kan inloggen", "1"):
        chat.say("sanne", answer)
    with Session(postgres_engine) as session:
        pending = session.exec(select(Timer).where(col(Timer.fired_at).is_(None))).all()
        now = datetime.now(UTC)
        due_now = [t.id for t in pending if t.due_at <= now]
        later = [t for t in pending if t.due_at > now]
        assert due_now and later, "a reported P1 has timers due now and later"
        # The next timer falls due in the middle of the outage below.
        in_outage = later[0]
        in_outage.due_at = now + timedelta(seconds=20)
        session.add(in_outage)
        session.commit()
        outage_timer = in_outage.id

    proxy.cut()  # the database is away as the bot starts
    process, log, ready = _bot_through(proxy, schema, tmp_path)
    try:
        time.sleep(1)  # real time: the bot tries, fails and waits
        assert process.poll() is None, "the bot gave up instead of waiting for the database"
        proxy.restore()
        _until(lambda: _status(ready) == 200, "ready once the database is there", 30)
        _until(lambda: _fired(postgres_engine, due_now), "the due timers to fire", 30)

        assert datetime.now(UTC) < in_outage.due_at, "the bot took too long to start"
        proxy.cut()
        _until(lambda: _status(ready) == 503, "not ready while the database is away", 30)
        _until(lambda: datetime.now(UTC) > in_outage.due_at + timedelta(seconds=2), "due", 30)
        assert process.poll() is None, "the bot died with the database"
        proxy.restore()
        _until(lambda: _status(ready) == 200, "ready again after the outage", 30)
        _until(lambda: _fired(postgres_engine, [outage_timer]), "the missed timer to fire", 15)
    finally:
        output = _stopped(process, log)
    assert process.returncode == 0, output[-3000:]
    # The outages are logged, each with one traceback per part, not with one a second; and
    # stopping in the middle of a run is no error.
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    tracebacks = Counter(e["logger"] for e in entries if "Traceback" in e.get("error", ""))
    assert all(count <= 2 for count in tracebacks.values()), tracebacks
    assert "apscheduler.executors.default" not in tracebacks, tracebacks


def _fired(engine: Engine, ids: list[int | None]) -> bool:
    with Session(engine) as session:
        left = session.exec(
            select(Timer.id).where(col(Timer.id).in_(ids)).where(col(Timer.fired_at).is_(None))
        ).all()
    return not left


def test_sigterm_while_the_database_is_away_stops_cleanly(
    postgres_engine: Engine, proxy: CuttableProxy, tmp_path: Path
) -> None:
    """The database goes away, then SIGTERM: what is in hand stays queued and the stop goes
    on: exit 0, JSON lines only, no error (it used to end in a traceback and exit 1)."""
    with postgres_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    process, log, ready = _bot_through(proxy, schema, tmp_path)
    try:
        _until(lambda: _status(ready) == 200, "ready", 30)
        proxy.cut()
        _until(lambda: _status(ready) == 503, "not ready while the database is away", 30)
    finally:
        output = _stopped(process, log)
    assert process.returncode == 0, output[-3000:]
    entries = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert entries[-1]["message"] == "stopped"
    assert [e for e in entries if e["level"] == "error"] == [], output[-3000:]
