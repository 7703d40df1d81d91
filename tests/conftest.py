"""Shared fixtures: real files, real DuckDB, the real pipeline script through Airflow."""
from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
# Files a test writes are whole at once: no settle time (also for module fixtures and subprocesses).
os.environ["CAMPAIGN_SETTLE_SECONDS"] = "0"
# The personal-data key of every test (keys under 32 bytes are refused outside demo mode).
TEST_HASH_KEY = "campaign-test-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _demo_key(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_HASH_KEY", TEST_HASH_KEY)
    monkeypatch.setenv("CAMPAIGN_SETTLE_SECONDS", "0")   # files written by a test are whole at once


def run_pipeline(home: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """`make run`'s script on `home`, exactly as a user runs it (Airflow `dags test`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(home), CAMPAIGN_HASH_KEY=TEST_HASH_KEY, CAMPAIGN_SETTLE_SECONDS="0")
    proc = subprocess.run([str(REPO / "scripts" / "run_pipeline.sh")], env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


class Webhook(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that keeps every request posted to it (headers, JSON body)
    and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[dict, dict]] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                requests.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    @property
    def bodies(self) -> list[dict]:
        return [body for _, body in self.requests]

    def events(self, event: str) -> list[dict]:
        return [b for b in self.bodies if b["event"] == event]


@pytest.fixture
def webhook():
    """A webhook receiver answering 200, shut down after the test."""
    hook = Webhook()
    yield hook
    hook.shutdown()
