"""scripts/airflow_commands.py, how run_pipeline.sh runs its Airflow commands: in one process, in
turn, with progress on fd 3, stopping at the first command that fails."""
from __future__ import annotations

import os
import sqlite3
import subprocess

from tests.conftest import REPO


def test_commands_run_in_turn_and_stop_at_the_first_failure(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(tmp_path), CAMPAIGN_DEMO="1")
    script = (f'source "{REPO}/scripts/airflow_env.sh" && "{REPO}/.venv/bin/python" "{REPO}/scripts/airflow_commands.py"'
              ' "db migrate" "pools set duckdb_writer 1 \'one writer\'" "dags test no_such_dag"'
              ' "pools set never_reached 1 x" 3>&1 >"$CAMPAIGN_HOME/commands.log" 2>&1')
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    progress = proc.stdout.splitlines()                                  # fd 3: what run_pipeline.sh shows
    assert [p for p in progress if p.startswith("->")] == [
        "-> airflow db migrate", "-> airflow pools set duckdb_writer 1 'one writer'", "-> airflow dags test no_such_dag"]
    assert any(p.startswith("FAILED: airflow dags test no_such_dag") for p in progress)
    with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as con:
        pools = dict(con.execute("select pool, slots from slot_pool").fetchall())
    assert pools["duckdb_writer"] == 1 and "never_reached" not in pools
