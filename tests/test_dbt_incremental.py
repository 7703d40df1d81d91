"""fct_volunteer_hours is incremental on both targets: after the demo build, one more submission
adds only its own rows (every earlier row keeps its values and its built_at), and a resubmission
replaces only the rows of the submission it supersedes. stg_volunteer only appends the rows of
new submissions and keeps every raw row."""
from __future__ import annotations

import json

import pytest

from ingest.config import Paths
from tests.pg_warehouse import (
    build_duckdb, build_postgres, demo_warehouses, drop_database, drop_demo_warehouses, ingest_all,
    write_volunteer_csv,
)

pytestmark = pytest.mark.slow
TARGETS = ("duckdb", "postgres")
FACT = "select * from marts.fct_volunteer_hours"


def _fact(paths: Paths, dsn: str, target: str) -> dict[str, dict]:
    """record_id -> the whole row, as a dict (built_at included)."""
    if target == "duckdb":
        import duckdb
        with duckdb.connect(str(paths.published_db), read_only=True) as con:
            cur = con.execute(FACT)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
    else:
        from ingest import pg
        with pg.connect(dsn) as con, con.cursor() as cur:
            cur.execute(FACT)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
    return {r[names.index("record_id")]: dict(zip(names, r)) for r in rows}


def _result(paths: Paths, target: str, model: str = "fct_volunteer_hours") -> dict:
    folder = "target" if target == "duckdb" else "target-postgres"
    results = json.loads((paths.home / "dbt" / folder / "run_results.json").read_text(encoding="utf-8"))["results"]
    return next(r for r in results if r["unique_id"] == f"model.campaign.{model}")


def _state(paths: Paths, dsn: str) -> dict:
    return {t: {"fact": _fact(paths, dsn, t), "result": _result(paths, t),
                "stg_result": _result(paths, t, "stg_volunteer")} for t in TARGETS}


def _build_both(paths: Paths, dsn: str) -> dict:
    build_duckdb(paths)
    build_postgres(paths, dsn)
    return _state(paths, dsn)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    yield demo_warehouses(tmp_path_factory.mktemp("targets"))
    drop_demo_warehouses()


@pytest.fixture(scope="module")
def runs(built, tmp_path_factory):
    """The demo warehouses (copied), then one more submission, then a resubmission of it."""
    paths, dsn = built.clone(tmp_path_factory.mktemp("incremental") / "home", "incr")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CAMPAIGN_HASH_KEY", "test-key")
            mp.setenv("CAMPAIGN_BI_ROLE", built.bi_role)
            mp.setenv("CAMPAIGN_BI_PASSWORD", built.bi_password)
            first = _state(paths, dsn)

            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 6, rows=5, seed=11)
            (added,) = ingest_all(paths.home)
            second = _build_both(paths, dsn)

            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 6, rows=3, seed=12, extra_hours="3.5")
            (resubmitted,) = ingest_all(paths.home)
            third = _build_both(paths, dsn)
        yield {"first": first, "second": second, "third": third, "added": added, "resubmitted": resubmitted,
               "home": paths.home}
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


def test_stg_volunteer_appends_only_new_submissions_and_keeps_every_raw_row(runs):
    assert [runs[run]["postgres"]["stg_result"]["adapter_response"]["rows_affected"]
            for run in ("second", "third")] == [5, 3]
    import duckdb
    paths = Paths(runs["home"])
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        con.execute(f"attach '{paths.raw_db}' as raw_db (read_only)")
        staged, raw, superseded = con.execute("""select (select count(*) from staging.stg_volunteer),
            (select count(*) from raw_db.raw_volunteer),
            (select count(*) from staging.stg_volunteer where submission_id = ?)""",
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
