"""The incremental path as the warehouse DAG runs it (flows.warehouse_steps: build, audit,
publish, with dbt in this process) ends with the same marts as a full refresh, on DuckDB and
on PostgreSQL: after one department's next monthly volunteer file and then one department's
resubmitted issue ledger, every mart table (the audit's run log aside) holds the same rows.
On DuckDB each of those builds ran only the nodes its kind of submission reaches (and those
every build reads: the submissions of all kinds, receipts, the quality store); the other kinds'
branches and what is built from seeds alone kept the previous build's relations. PostgreSQL
builds every node. dbt in this process leaves no DuckDB handle behind, after a build that
passed and after one that failed: another process can then open the files read-write."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flows import warehouse_steps
from ingest.reingest import archived_files
from tests.pg_warehouse import drop_database, duck_rows, ingest_all, marts, write_volunteer_csv
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


def _ran(paths, target: str) -> set[str]:
    """unique_id of every node the last dbt build of the target ran."""
    folder = "target" if target == "duckdb" else "target-postgres"
    results = json.loads((paths.home / "dbt" / folder / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"] for r in results}


def _resubmit_an_issue_ledger(paths) -> str:
    """One department's current issue ledger sent again, the same records laid out otherwise (a
    new submission superseding it); returns the superseded submission_id."""
    (submission_id, source_file), = duck_rows(paths.raw_db, """select submission_id, source_file from submissions
        where kind = 'issue' and superseded_by is null order by period_month desc, source_file limit 1""")
    archived = next(path for path, rel in archived_files(paths.archive) if rel == source_file)
    target = paths.landing / source_file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(json.loads(archived.read_text(encoding="utf-8")), ensure_ascii=False, indent=2),
                      encoding="utf-8")
    return submission_id


def _open_read_write_elsewhere(*files: Path) -> subprocess.CompletedProcess:
    """Another process opens each file read-write (DuckDB refuses while any process holds it)."""
    code = "import sys, duckdb\nfor f in sys.argv[1:]:\n    duckdb.connect(f).close()\nprint('opened')"
    return subprocess.run([sys.executable, "-c", code, *map(str, files)], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def next_month(built, tmp_path_factory):
    """The demo warehouses (copied); one department's next volunteer month through the incremental
    steps on both targets, then one department's issue ledger sent again, the same, then a full
    refresh of both."""
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
                out[f"ran_volunteer_{target}"] = _ran(paths, target)
                if target == "duckdb":
                    out["handles"] = _open_read_write_elsewhere(paths.raw_db, paths.state_db)
            out["superseded_issue_ledger"] = _resubmit_an_issue_ledger(paths)
            out["resubmitted"] = ingest_all(paths.home)
            for target in TARGETS:
                mp.setenv("CAMPAIGN_TARGET", target)
                _steps(paths.home, target, False, f"incr2_{target}")
                out[f"ran_issue_{target}"] = _ran(paths, target)
                out[f"incremental_{target}"] = _marts(paths, dsn, target)
                _steps(paths.home, target, True, f"full_{target}")
                out[f"ran_full_{target}"] = _ran(paths, target)
                out[f"full_{target}"] = _marts(paths, dsn, target)
        yield out
    finally:
        drop_database(dsn)


def test_the_next_month_was_accepted_and_dbt_ran_in_this_process(next_month):
    assert (next_month["added"].status, next_month["added"].rows_loaded) == ("accepted", 6)
    assert next_month["in_process"]


def test_the_issue_ledger_sent_again_superseded_the_current_one(next_month):
    (resubmitted,) = next_month["resubmitted"]
    assert resubmitted.status == "accepted" and resubmitted.submission_id != next_month["superseded_issue_ledger"]
    issues = next_month["full_duckdb"]["fct_issue_status_history"]
    column = [name for name, _ in issues.columns].index("submission_id")
    assert {row[column] for row in issues.rows} >= {resubmitted.submission_id}
    assert next_month["superseded_issue_ledger"] not in {row[column] for row in issues.rows}


def _models(ran: set[str]) -> set[str]:
    return {uid.split(".")[-1] for uid in ran if uid.startswith("model.")}


def test_a_duckdb_build_after_one_kind_runs_only_that_kind_and_what_every_build_reads(next_month):
    always = {"stg_submissions", "int_submissions_ranked", "mart_submission_status", "mart_data_quality",
              "stg_quality_results", "zh_mart_data_quality"}
    volunteer, issue = _models(next_month["ran_volunteer_duckdb"]), _models(next_month["ran_issue_duckdb"])
    assert always | {"stg_volunteers", "fct_volunteer_hours", "dim_volunteer", "mart_department_scorecard",
                     "zh_fct_volunteer_hours"} <= volunteer
    assert not {m for m in volunteer if "issue" in m or "investment" in m}
    assert always | {"stg_issues", "int_issues_historized", "fct_issue_closure", "fct_issue_status_history",
                     "mart_department_scorecard"} <= issue
    assert not {m for m in issue if "volunteer" in m or "investment" in m}
    for ran in (volunteer, issue):          # built from seeds alone: only with the project's files
        assert not ran & {"dim_date", "dim_department", "dim_city", "stg_departments"}
    tests = {uid for uid in next_month["ran_volunteer_duckdb"] if uid.startswith("test.")}
    assert "test.campaign.assert_scorecard_reconciles_with_facts" in tests
    assert not {uid for uid in tests if "_fct_investment_" in uid or "_fct_issue_closure_" in uid}
    full = _models(next_month["ran_full_duckdb"])
    assert full >= volunteer | issue | {"fct_investment", "dim_date", "dim_department"}


def test_postgres_builds_every_node_on_an_incremental_build(next_month):
    assert _models(next_month["ran_volunteer_postgres"]) == _models(next_month["ran_full_postgres"])


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
