"""Shared fixtures: real files, real DuckDB, the real pipeline script through Airflow."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture(autouse=True)
def _demo_key(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_HASH_KEY", "test-key")


def run_pipeline(home: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """`make run`'s script on `home`, exactly as a user runs it (Airflow `dags test`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(home), CAMPAIGN_HASH_KEY="test-key")
    proc = subprocess.run([str(REPO / "scripts" / "run_pipeline.sh")], env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
