"""The incremental path as the warehouse DAG runs it (flows.warehouse_steps: build, audit,
publish, with dbt in this process) ends with the same marts as a full refresh, on DuckDB and
on PostgreSQL: after one department's next monthly file, every mart table (the audit's run log
aside) holds the same rows. dbt in this process leaves no DuckDB handle behind, after a build
that passed and after one that failed: another process can then open the files read-write."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows import warehouse_steps
from tests.pg_warehouse import drop_database, ingest_all, marts, write_volunteer_csv
from warehouse.dbt import BuildFailed, in_process, run_dbt

pytestmark = pytest.mark.slow
TARGETS = ("duckdb", "postgres")
RUN_LOGS = {"mart_data_quality"}   # one row per validation per audit run: a log, not a figure


def _steps(home: Path, target: str, full_refresh: bool, run_id: str) -> None:
    plan = {"target": target, "full_refresh": full_refresh}
    warehouse_steps.build(home, plan)
    warehouse_steps.audit(home, plan, run_id)
    warehouse_steps.publish(home, target)


def _marts(paths, dsn: str, target: str) -> dict:
    return marts(paths.published_db) if target == "duckdb" else marts(dsn)


def _open_read_write_elsewhere(*files: Path) -> subprocess.CompletedProcess:
    """Another process opens each file read-write (DuckDB refuses while any process holds it)."""
    code = "import sys, duckdb\nfor f in sys.argv[1:]:\n    duckdb.connect(f).close()\nprint('opened')"
    return subprocess.run([sys.executable, "-c", code, *map(str, files)], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def next_month(built, tmp_path_factory):
    """The demo warehouses (copied); one department's next month through the incremental steps on
    both targets, then a full refresh of both."""
    paths, dsn = built.clone(tmp_path_factory.mktemp("incremental-path") / "home", "incrpath")
    try:
        with pytest.MonkeyPatch.context() as mp:
            built.settings(mp)
            mp.setenv("CAMPAIGN_PG_DSN", dsn)
            mp.delenv("CAMPAIGN_DBT_IN_PROCESS", raising=False)
            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 9, rows=6, seed=23)
            (added,) = ingest_all(paths.home)
            out = {"added": added, "paths": paths, "in_process": in_process(),
                   "facts_before": len(marts(paths.published_db)["fct_volunteer_hours"].rows)}
            for target in TARGETS:
                mp.setenv("CAMPAIGN_TARGET", target)
                _steps(paths.home, target, False, f"incr_{target}")
                out[f"incremental_{target}"] = _marts(paths, dsn, target)
                if target == "duckdb":
                    out["handles"] = _open_read_write_elsewhere(paths.raw_db, paths.state_db)
                _steps(paths.home, target, True, f"full_{target}")
                out[f"full_{target}"] = _marts(paths, dsn, target)
        yield out
    finally:
        drop_database(dsn)


def test_the_next_month_was_accepted_and_dbt_ran_in_this_process(next_month):
    assert (next_month["added"].status, next_month["added"].rows_loaded) == ("accepted", 6)
    assert next_month["in_process"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_incremental_steps_publish_the_marts_of_a_full_refresh(next_month, target):
    incremental, full = next_month[f"incremental_{target}"], next_month[f"full_{target}"]
    assert sorted(incremental) == sorted(full)
    assert {"fct_volunteer_hours", "dim_volunteer", "mart_department_scorecard", "fct_investment"} <= set(full)
    for table in sorted(set(full) - RUN_LOGS):
        assert incremental[table].columns == full[table].columns, table
        assert incremental[table].rows == full[table].rows, table
    assert len(full["fct_volunteer_hours"].rows) == next_month["facts_before"] + 6   # the new month's records


def test_no_duckdb_handle_outlives_an_in_process_build(next_month):
    handles = next_month["handles"]
    assert handles.returncode == 0 and "opened" in handles.stdout, handles.stderr[-2000:]


def test_no_duckdb_handle_outlives_a_failed_in_process_build(tmp_path, monkeypatch):
    import duckdb

    monkeypatch.delenv("CAMPAIGN_DBT_IN_PROCESS", raising=False)
    empty_raw, candidate = tmp_path / "raw.duckdb", tmp_path / "campaign.duckdb"
    duckdb.connect(str(empty_raw)).close()          # no raw tables: staging fails
    env = {"CAMPAIGN_RAW_DB": str(empty_raw), "CAMPAIGN_DBT_DUCKDB_PATH": str(candidate)}
    with pytest.raises(BuildFailed, match="stg_volunteers"):
        run_dbt("duckdb", env, tmp_path / "target", tmp_path / "logs", select=["stg_volunteers"])
    handles = _open_read_write_elsewhere(empty_raw, candidate)
    assert handles.returncode == 0 and "opened" in handles.stdout, handles.stderr[-2000:]
