"""DAG files import cleanly, fast, and without heavy libraries at parse time."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAG_FILES = sorted((REPO / "dags").glob("*.py"))
HEAVY = ("great_expectations", "dbt", "pandas", "duckdb", "python_calamine")


def test_dagbag_has_no_import_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    assert {"campaign_ingest", "campaign_warehouse"} <= set(bag.dag_ids)
    assert bag.dags["campaign_ingest"].get_task("load_file").pool == "duckdb_writer"


def test_dag_files_parse_fast_without_heavy_imports(tmp_path):
    """Each DAG file alone, in a fresh interpreter that already has Airflow loaded."""
    code = (
        "import sys, time, runpy, airflow.sdk\n"
        "from airflow.sdk import dag, task, Asset, Param\n"
        "t = time.perf_counter(); runpy.run_path(sys.argv[1]); dt = time.perf_counter() - t\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(dt, ','.join(heavy))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    for path in DAG_FILES:
        out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        seconds, _, heavy = out.stdout.strip().splitlines()[-1].partition(" ")
        assert float(seconds) < 1.0, f"{path.name} took {seconds}s to parse"
        assert heavy.strip() == "", f"{path.name} imports {heavy} at parse time"
