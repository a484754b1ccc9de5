"""``slabot run`` as a real process: health, readiness and metrics, JSON logs, clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.logs import redact

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_run_serves_health_and_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    """With no chat platform configured the bot still fires timers, answers /healthz, /readyz
    and /metrics, logs JSON, and exits 0 on SIGTERM."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))},
        "SLABOT_DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "SLABOT_HEALTH_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.1)
        if status != 200:
            process.terminate()
            raise AssertionError(process.communicate(timeout=10)[1][-2000:] + f" port {port}")
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        code, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert code == 200
        for name in (
            "slabot_open_incidents",
            "slabot_pending_timers",
            "slabot_handler_latency_seconds",
            "slabot_timer_lag_seconds",
            "slabot_delivery_failures_total",
        ):
            assert name in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(entry["message"] == "stopped" for entry in lines)
    assert all({"time", "level", "message"} <= entry.keys() for entry in lines)


def test_logs_redact_tokens() -> None:
    """Slack and Telegram tokens never reach the logs, not even inside URLs."""
    text = (
        "xoxb-1234-5678-abcdef xapp-1-A1-2-ff "
        "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"
    )
    cleaned = redact(text)
    assert "xoxb" not in cleaned and "xapp" not in cleaned and "AAHdq" not in cleaned
