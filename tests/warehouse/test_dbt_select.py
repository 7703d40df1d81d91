"""What a DuckDB incremental build runs when only some kinds of submission changed: on the parsed
project, each kind's branch (downstream of its raw table and its int_<kind>_submissions), what
every build reads (raw data of no one kind), and what is built from seeds alone; and the record
of a build's inputs (warehouse.build_inputs) that tells which kinds changed since."""
from __future__ import annotations

import duckdb
import pytest

from warehouse import build_inputs
from warehouse.dbt_select import ALWAYS, node_inputs, selection

KINDS = {"investment", "issue", "volunteer"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    from dbt.cli.main import dbtRunner

    from warehouse.dbt import DBT_DIR

    work = tmp_path_factory.mktemp("dbt-select")
    env = {"CAMPAIGN_RAW_DB": str(work / "raw.duckdb"), "CAMPAIGN_DBT_DUCKDB_PATH": str(work / "c.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        parsed = dbtRunner().invoke(["parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                                     "--target", "duckdb", "--target-path", str(work / "target"),
                                     "--log-path", str(work / "logs"), "--quiet"])
    assert parsed.success, parsed.exception
    return parsed.result


def _inputs(manifest, name: str) -> frozenset[str]:
    return node_inputs(manifest)[f"model.campaign.{name}"]


def test_each_model_depends_on_the_kinds_it_reads(manifest):
    for kind in KINDS:
        assert _inputs(manifest, f"int_{kind}_submissions") == {kind}
    assert _inputs(manifest, "fct_volunteer_hours") == _inputs(manifest, "dim_volunteer") == {"volunteer"}
    assert _inputs(manifest, "int_volunteers_touched") == {"volunteer"}
    assert _inputs(manifest, "fct_investment") == {"investment"}
    assert _inputs(manifest, "fct_issue_closure") == {"issue"}
    assert _inputs(manifest, "mart_department_scorecard") == KINDS
    for shared in ("int_submissions_ranked", "mart_submission_status", "mart_data_quality"):
        assert _inputs(manifest, shared) == {ALWAYS}, shared
    for static in ("dim_date", "dim_department", "dim_city", "zh_dim_date"):
        assert _inputs(manifest, static) == frozenset(), static


def test_a_volunteer_build_selects_the_volunteer_branch_and_what_every_build_reads(manifest):
    chosen = {s.removeprefix("fqn:").split(".")[-1] for s in selection(manifest, {"volunteer"})}
    assert {"stg_volunteers", "fct_volunteer_hours", "dim_volunteer", "mart_department_scorecard",
            "assert_scorecard_reconciles_with_facts", "mart_submission_status", "mart_data_quality",
            "int_submissions_ranked", "unique_fct_volunteer_hours_record_id"} <= chosen
    assert not chosen & {"stg_issues", "fct_investment", "fct_issue_closure", "int_issue_submissions",
                         "dim_date", "dim_department", "cities", "departments", "assert_dim_date_iso_weeks"}
    assert not {c for c in chosen if c.startswith("relationships_fct_investment")}


def test_every_kind_still_leaves_out_what_seeds_alone_build_and_an_unknown_kind_builds_all(manifest):
    every = {s.removeprefix("fqn:").split(".")[-1] for s in selection(manifest, KINDS)}
    assert {"fct_investment", "fct_issue_closure", "fct_volunteer_hours"} <= every
    assert not every & {"dim_date", "dim_department", "departments"}
    assert selection(manifest, {"volunteer", "a_kind_without_branch"}) is None


def _raw(path, submissions, held=()):
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table submissions (submission_id varchar, kind varchar, superseded_by varchar)")
        con.executemany("insert into submissions values (?, ?, ?)", submissions)
        con.execute("create or replace table held_submissions (submission_id varchar)")
        for submission_id in held:
            con.execute("insert into held_submissions values (?)", [submission_id])


def test_the_record_tells_which_kinds_changed_since_the_build(tmp_path):
    raw, candidate = tmp_path / "raw.duckdb", tmp_path / "candidate.duckdb"
    subs = [["v1", "volunteer", None], ["i1", "issue", None], ["n1", "investment", None]]
    _raw(raw, subs)
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) is None   # no file
    duckdb.connect(str(candidate)).close()
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) is None   # no record
    build_inputs.record(candidate, build_inputs.current(raw, "duckdb"))
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) == set()

    _raw(raw, [["v1", "volunteer", "v2"], *subs[1:], ["v2", " Volunteer ", None]])    # a resubmission
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) == {"volunteer"}
    _raw(raw, subs, held=["i1"])                                                      # a hold
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) == {"issue"}
    _raw(raw, [*subs, ["x1", "another", None]])
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) == {"another"}

    other_project = {**build_inputs.current(raw, "duckdb"), build_inputs.PROJECT: "another project"}
    assert build_inputs.changed_kinds(candidate, other_project) is None
    build_inputs.record(candidate, None)                                  # a build of hand-picked nodes
    assert build_inputs.changed_kinds(candidate, build_inputs.current(raw, "duckdb")) is None
