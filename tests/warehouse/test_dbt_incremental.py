"""fct_volunteer_hours is incremental on both targets: after the demo build, one more submission
adds only its own rows (every earlier row keeps its values and its built_at), and a resubmission
replaces only the rows of the submission it supersedes. stg_volunteers only appends the rows of
new submissions and keeps every raw row. dim_volunteer recomputes only the volunteers a run
touched (new records, records of a superseded submission), and after all of that every mart
holds exactly what a full refresh builds from the same raw data. Incremental builds test only
the volunteer rows they wrote (on DuckDB only the nodes a volunteer file reaches) and leave out
unit tests that already passed for this project."""
from __future__ import annotations

import json

import pytest

from ingest.config import Paths
from tests.conftest import TEST_HASH_KEY
from tests.pg_warehouse import build_duckdb, build_postgres, decimal, drop_database, ingest_all, marts, write_volunteer_csv

pytestmark = pytest.mark.slow
TARGETS = ("duckdb", "postgres")
FACT = "select * from marts.fct_volunteer_hours"
DIM = "select * from marts.dim_volunteer"
# A run log (one row per validation per run; each PostgreSQL audit adds its own), not a figure.
RUN_LOGS = {"mart_data_quality"}


def _fact(paths: Paths, dsn: str, target: str, sql: str = FACT, key: str = "record_id") -> dict[str, dict]:
    """record_id (or `key`) -> the whole row, as a dict (built_at included)."""
    if target == "duckdb":
        import duckdb
        with duckdb.connect(str(paths.published_db), read_only=True) as con:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
    else:
        from warehouse.postgres import connect as pg
        with pg.connect(dsn) as con, con.cursor() as cur:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
    return {r[names.index(key)]: dict(zip(names, r)) for r in rows}


def _results(paths: Paths, target: str) -> list[dict]:
    folder = "target" if target == "duckdb" else "target-postgres"
    return json.loads((paths.home / "dbt" / folder / "run_results.json").read_text(encoding="utf-8"))["results"]


def _result(paths: Paths, target: str, model: str = "fct_volunteer_hours") -> dict:
    return next(r for r in _results(paths, target) if r["unique_id"] == f"model.campaign.{model}")


def _state(paths: Paths, dsn: str) -> dict:
    return {t: {"fact": _fact(paths, dsn, t), "dim": _fact(paths, dsn, t, DIM, "volunteer_key"),
                "result": _result(paths, t), "stg_result": _result(paths, t, "stg_volunteers"),
                "dim_result": _result(paths, t, "dim_volunteer"), "results": _results(paths, t)}
            for t in TARGETS}


def _marts(paths: Paths, dsn: str) -> dict:
    return {"duckdb": marts(paths.published_db), "postgres": marts(dsn)}


def _build_both(paths: Paths, dsn: str) -> dict:
    build_duckdb(paths)
    build_postgres(paths, dsn)
    return _state(paths, dsn)


@pytest.fixture(scope="module")
def runs(built, tmp_path_factory):
    """The demo warehouses (copied), then one more submission, then a resubmission of it."""
    paths, dsn = built.clone(tmp_path_factory.mktemp("incremental") / "home", "incr")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CAMPAIGN_HASH_KEY", TEST_HASH_KEY)
            mp.setenv("CAMPAIGN_BI_ROLE", built.bi_role)
            mp.setenv("CAMPAIGN_BI_PASSWORD", built.bi_password)
            first = _state(paths, dsn)

            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 6, rows=5, seed=11)
            (added,) = ingest_all(paths.home)
            second = _build_both(paths, dsn)

            # the same month again: the first 3 volunteers of the file above with other hours,
            # the other 2 drop out of the facts and of dim_volunteer
            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 6, rows=3, seed=11, extra_hours="3.5")
            (resubmitted,) = ingest_all(paths.home)
            third = _build_both(paths, dsn)

            # the next month: those 3 volunteers again (their rows in dim_volunteer change) and the
            # 4th of the superseded file, back in the dimension
            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 7, rows=4, seed=11, extra_hours="1.5")
            (later,) = ingest_all(paths.home)
            fourth = _build_both(paths, dsn)
            incremental = _marts(paths, dsn)

            build_duckdb(paths, full_refresh=True)
            build_postgres(paths, dsn, full_refresh=True)
            full = _marts(paths, dsn)
            full_results = {t: _results(paths, t) for t in TARGETS}
        yield {"first": first, "second": second, "third": third, "fourth": fourth, "added": added,
               "resubmitted": resubmitted, "later": later, "home": paths.home, "incremental": incremental,
               "full": full, "full_results": full_results}
    finally:
        drop_database(dsn)


def test_the_extra_files_were_accepted_as_new_and_superseding_submissions(runs):
    added, resubmitted = runs["added"], runs["resubmitted"]
    assert (added.status, added.rows_loaded, resubmitted.status, resubmitted.rows_loaded) == \
        ("accepted", 5, "accepted", 3)
    assert added.submission_id != resubmitted.submission_id


@pytest.mark.parametrize("target", TARGETS)
def test_one_more_submission_touches_only_its_own_rows(runs, target):
    before, after = runs["first"][target]["fact"], runs["second"][target]["fact"]
    new = set(after) - set(before)
    assert {after[r]["submission_id"] for r in new} == {runs["added"].submission_id} and len(new) == 5
    assert set(before) <= set(after)
    assert all(after[r] == before[r] for r in before)          # every old row unchanged, built_at included
    assert min(after[r]["built_at"] for r in new) > max(r["built_at"] for r in before.values())
    assert len({r["built_at"] for r in before.values()}) == 1  # the demo build inserted them all at once


def test_the_incremental_statement_inserted_only_the_new_rows_on_postgres(runs):
    # dbt's delete+insert: the last statement's row count is the INSERT of the new submission only
    assert runs["second"]["postgres"]["result"]["adapter_response"]["rows_affected"] == 5
    assert runs["first"]["postgres"]["result"]["adapter_response"]["rows_affected"] == len(runs["first"]["postgres"]["fact"])


def test_stg_volunteers_appends_only_new_submissions_and_keeps_every_raw_row(runs):
    assert [runs[run]["postgres"]["stg_result"]["adapter_response"]["rows_affected"]
            for run in ("second", "third")] == [5, 3]
    import duckdb
    paths = Paths(runs["home"])
    with duckdb.connect(str(paths.state_db), read_only=True) as con:     # the build file keeps staging
        con.execute(f"attach '{paths.raw_db}' as raw_db (read_only)")
        staged, raw, superseded = con.execute("""select (select count(*) from staging.stg_volunteers),
            (select count(*) from raw_db.raw_volunteer),
            (select count(*) from staging.stg_volunteers where submission_id = ?)""",
                                              [runs["added"].submission_id]).fetchone()
    assert staged == raw and superseded == 5


@pytest.mark.parametrize("target", TARGETS)
def test_a_resubmission_replaces_only_the_superseded_rows(runs, target):
    before, after = runs["second"][target]["fact"], runs["third"][target]["fact"]
    gone = {r for r, row in before.items() if row["submission_id"] == runs["added"].submission_id}
    new = set(after) - set(before)
    assert set(before) - set(after) == gone and len(gone) == 5
    assert {after[r]["submission_id"] for r in new} == {runs["resubmitted"].submission_id} and len(new) == 3
    assert all(after[r] == before[r] for r in set(before) - gone)
    assert sum(after[r]["hours"] for r in new) == 3 * 3.5


def test_both_targets_end_with_the_same_rows(runs):
    def strip(fact):
        return {k: {c: v for c, v in row.items() if c != "built_at"} for k, row in fact.items()}
    assert strip(runs["third"]["duckdb"]["fact"]) == strip(runs["third"]["postgres"]["fact"])


def _strip_built_at(rows: dict) -> dict:
    return {k: {c: v for c, v in row.items() if c != "built_at"} for k, row in rows.items()}


@pytest.mark.parametrize("target", TARGETS)
def test_dim_volunteer_changes_only_the_volunteers_a_run_touched(runs, target):
    first, second, third, fourth = (runs[r][target]["dim"] for r in ("first", "second", "third", "fourth"))
    added = set(second) - set(first)
    assert len(added) == 5 and set(first) <= set(second)
    assert all(second[k] == first[k] for k in first)                       # nobody else recomputed
    kept = added & set(third)
    assert set(second) - set(third) == added - kept and len(kept) == 3      # 2 left with the superseded file
    assert all(third[k]["total_hours"] == decimal("3.5") and third[k]["service_records"] == 1 for k in kept)
    assert all(third[k] == second[k] for k in set(second) - added)
    back = set(fourth) - set(third)
    assert len(back) == 1 and back <= added - kept                          # the 4th volunteer returns
    assert all(fourth[k]["total_hours"] == decimal("5.0") and fourth[k]["service_records"] == 2 for k in kept)
    assert fourth[next(iter(back))]["total_hours"] == decimal("1.5")
    assert all(fourth[k] == third[k] for k in set(third) - kept)


def test_dim_volunteer_writes_only_the_touched_volunteers_on_postgres(runs):
    # delete+insert: the last statement's row count is the INSERT of the recomputed volunteers only
    assert [runs[r]["postgres"]["dim_result"]["adapter_response"]["rows_affected"]
            for r in ("second", "third", "fourth")] == [5, 3, 4]


@pytest.mark.parametrize("target", TARGETS)
def test_an_incremental_history_ends_with_the_marts_of_a_full_refresh(runs, target):
    incremental, full = runs["incremental"][target], runs["full"][target]
    assert sorted(incremental) == sorted(full)
    assert {"fct_volunteer_hours", "dim_volunteer", "mart_department_scorecard"} <= set(full)
    for table in set(full) - RUN_LOGS:
        assert incremental[table].columns == full[table].columns, table
        assert incremental[table].rows == full[table].rows, table


@pytest.mark.parametrize("target", TARGETS)
def test_incremental_builds_test_only_the_volunteer_rows_they_wrote(runs, target):
    def compiled(results, test):
        return next(r["compiled_code"] for r in results if r["unique_id"].startswith(f"test.campaign.{test}."))
    incremental, full = runs["fourth"][target]["results"], runs["full_results"][target]
    assert "built_at = cast(" in compiled(incremental, "unique_fct_volunteer_hours_record_id")
    assert "loaded_at >= cast(" in compiled(incremental, "not_null_stg_volunteers_volunteer_key")
    for test in ("unique_fct_volunteer_hours_record_id", "not_null_stg_volunteers_volunteer_key"):
        assert "built_at = cast(" not in compiled(full, test) and "loaded_at >= cast(" not in compiled(full, test)
    tests = lambda results: {r["unique_id"] for r in results if r["unique_id"].startswith("test.")}  # noqa: E731
    if target == "postgres":
        assert tests(incremental) == tests(full)                             # no data test left out
    else:   # only the tests of what a volunteer file reaches (and of what every build reads)
        assert {t for t in tests(full) if "volunteer" in t} <= tests(incremental) < tests(full)
        assert not {t for t in tests(incremental) if "_fct_investment_" in t or "_fct_issue_closure_" in t}
    assert all(r["status"] in ("pass", "success") for r in incremental if r["unique_id"].startswith("test."))


@pytest.mark.parametrize("target", TARGETS)
def test_unit_tests_run_for_a_project_new_to_the_target_and_on_a_full_refresh_only(runs, target):
    def unit_tests(results):
        return {r["unique_id"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(unit_tests(runs["first"][target]["results"])) >= 13
    assert unit_tests(runs["full_results"][target]) == unit_tests(runs["first"][target]["results"])
    assert not any(unit_tests(runs[r][target]["results"]) for r in ("second", "third", "fourth"))
