"""campaign_ingest through `airflow dags test` on a misconfigured deployment (no personal-data
key), in batches of two files: every file that needs the key fails, and its batch task fails
once, naming it — a configuration fault is never retried — while a file that is not a
submission, in a failed batch, is still refused as an outcome with its receipt; the run fails
naming the failed files, and the notifier hears of each failure."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

import pytest

from ingest.demo import generate
from tests.conftest import REPO, query

pytestmark = pytest.mark.slow
FILES = ("格尔木市/市发改委/investment/2022年5月创建项目投资台账.xlsx",
         "格尔木市/市文明办/volunteer/5月志愿服务记录.csv",
         "格尔木市/市城管局/issue/export_20220604.json",
         "射洪市/市文明办/volunteer/联系人名单.csv")


def test_files_that_cannot_be_processed_fail_without_retry_and_are_named(tmp_path, webhook):
    demo, home = tmp_path / "demo", tmp_path / "home"
    generate(demo)
    for n, rel in enumerate(FILES):
        (home / "landing" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo / rel, home / "landing" / rel)
        os.utime(home / "landing" / rel, (1_700_000_000 + n, 1_700_000_000 + n))  # arrival order: FILES
    # No personal-data key and no demo mode: ingest refuses to process submissions (ConfigError).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(home), AIRFLOW_HOME=str(tmp_path / "airflow"), PYTHONPATH=str(REPO),
               AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               CAMPAIGN_NOTIFY_WEBHOOK=webhook.url,
               CAMPAIGN_INGEST_BATCH_FILES="2", CAMPAIGN_SETTLE_SECONDS="0")
    airflow = str(REPO / ".venv" / "bin" / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    proc = subprocess.run([airflow, "dags", "test", "campaign_ingest"], env=env, capture_output=True, text=True,
                          timeout=600)
    bodies = webhook.bodies
    assert proc.returncode != 0                                          # the run failed ...
    with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as con:
        states = {(t, m): (s, n) for t, m, s, n in con.execute(
            "select task_id, map_index, state, try_number from task_instance where dag_id = 'campaign_ingest'")}
    load = sorted(s for (t, _), s in states.items() if t == "load_batch")
    assert load == [("failed", 1)] * 2                                   # load_batch has retries=3: unused
    assert states[("announce", -1)][0] == "skipped"                        # nothing new: no asset event
    assert states[("report", -1)][0] == "failed"

    raw = home / "warehouse" / "raw.duckdb"
    assert query(raw, "select source_file, status from file_ledger") == [(FILES[3], "refused")]
    assert all((home / "landing" / rel).exists() for rel in FILES[:3])  # left for a run with the key
    failed = {b["details"]["label"]: b for b in bodies
              if b["event"] == "task_failed" and b["details"]["task_id"] == "load_batch"}
    first, second = f"{FILES[0]} .. {FILES[1]} (2 files)", f"{FILES[2]} .. {FILES[3]} (2 files)"
    assert sorted(failed) == sorted([first, second])                      # each batch named by its files
    assert "2 of 2 file(s) failed" in failed[first]["text"] and "1 of 2 file(s) failed" in failed[second]["text"]
    for label, named in ((first, FILES[:2]), (second, FILES[2:3])):
        error = failed[label]["details"]["error"]
        assert all(f"{rel}: ConfigError: CAMPAIGN_HASH_KEY" in error for rel in named), error
    assert FILES[3] not in failed[second]["details"]["error"]              # refused as an outcome, not failed
    summary = [b for b in bodies if b["event"] == "ingest_failed"]
    assert summary and sorted(summary[0]["details"]["failed"]) == sorted(FILES[:3])
    assert summary[0]["details"]["counts"] == {"accepted": 0, "refused": 1, "duplicate": 0, "failed": 3}
