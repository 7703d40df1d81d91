"""DAG files import cleanly, fast, and without heavy libraries at parse time."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((REPO / "dags").glob("*.py"))
HEAVY = ("great_expectations", "dbt", "pandas", "duckdb", "python_calamine")


def test_dagbag_has_no_import_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    assert {"campaign_ingest", "campaign_warehouse"} <= set(bag.dag_ids)
    assert bag.dags["campaign_ingest"].get_task("load_batch").pool == "duckdb_writer"


def test_on_postgres_the_file_tasks_leave_the_one_writer_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    monkeypatch.setenv("CAMPAIGN_TARGET", "postgres")
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    assert bag.dags["campaign_ingest"].get_task("load_batch").pool == "default_pool"
    assert bag.dags["campaign_warehouse"].get_task("build").pool == "duckdb_writer"   # the warehouse keeps turns


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


def _bag(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag
    return DagBag(dag_folder=str(REPO / "dags"))


def test_ingest_dag_maps_batches_serialises_writers_and_retries_only_loads(tmp_path, monkeypatch):
    from ingest.slices import PARAM_SPECS
    dag = _bag(tmp_path, monkeypatch).dags["campaign_ingest"]
    assert set(dag.params) == set(PARAM_SPECS) and dag.params["month"] is None
    assert type(dag.timetable).__name__ == "NullTimetable"     # manual, or a deployment's schedule
    retries = {t.task_id: t.retries for t in dag.tasks}
    assert retries == {"check_params": 0, "discover": 0, "load_batch": 3, "announce": 0, "report": 0}
    load = dag.get_task("load_batch")
    assert load.pool == "duckdb_writer" and load.map_index_template == "{{ batch_label }}"
    assert dag.get_task("discover").downstream_task_ids == {"load_batch", "report"}
    assert {"announce", "report"} <= load.downstream_task_ids     # they take the per-file results
    announce = dag.get_task("announce")
    assert [o.name for o in announce.outlets] == ["campaign-new-submissions"]   # an AssetAlias
    assert announce.trigger_rule == report_rule(dag) == "all_done_min_one_success"
    assert all(t.on_failure_callback for t in dag.tasks)
    assert dag.get_task("check_params").downstream_task_ids == {"discover", "announce", "report"}


def report_rule(dag) -> str:
    return dag.get_task("report").trigger_rule


def test_warehouse_dag_runs_on_the_raw_assets_in_order(tmp_path, monkeypatch):
    dag = _bag(tmp_path, monkeypatch).dags["campaign_warehouse"]
    assert {a.uri for a in dag.timetable.asset_condition.objects} == \
        {f"campaign://raw/{k}" for k in ("investment", "volunteer", "issue")}
    assert [dag.get_task(t).pool for t in ("build", "audit", "publish", "docs")] == ["duckdb_writer"] * 4
    chain = ["plan", "build", "audit", "publish"]
    for up, down in zip(chain, chain[1:]):
        assert down in dag.get_task(up).downstream_task_ids
    assert dag.get_task("publish").downstream_task_ids == {"docs", "track"}
    assert [o.uri for o in dag.get_task("publish").outlets] == ["campaign://warehouse/marts"]
    assert dag.get_task("plan").retries == 0 and dag.get_task("build").retries == 2


def test_support_module_is_not_parsed_as_a_dag_file():
    ignored = (REPO / "dags" / ".airflowignore").read_text().split()
    assert "campaign_support.py" in ignored
