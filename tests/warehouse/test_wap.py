"""Write-audit-publish mechanics on real DuckDB files and real reader processes (no dbt, fast):
publish takes only a candidate whose exact bytes passed an audit, leftovers of a dead run are
cleared, the published file holds the marts and BI views only, and readers holding or reopening
the published file see the old or the new marts, whole, and never block a publish."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from expectations import audit_warehouse
from expectations.audit import certificate
from ingest.config import paths as make_paths
from warehouse.duck import BuildFailed, PublishRefused, prepare_candidate, publish
from tests.conftest import REPO
from tests.expectations.test_audit import make_warehouse

# One statement = one snapshot: a reader that saw half of a publish would get a combination
# of figures that neither the old nor the new file has.
FINGERPRINT = """
select (select count(*) from marts.fct_volunteer_hours),
       (select sum(hours) from marts.fct_volunteer_hours),
       (select md5(string_agg(record_id || ':' || cast(hours as varchar), ',' order by record_id))
          from marts.fct_volunteer_hours),
       (select count(*) from marts.fct_investment),
       (select md5(string_agg(project_name, ',' order by city, project_code, period_month)) from marts.fct_investment),
       (select count(*) from marts.dim_volunteer),
       (select count(*) from marts.mart_department_scorecard)
"""
READER = r"""
import duckdb, json, os, sys, time
db, out, stop, mode, sql, pause = sys.argv[1:7]
held = duckdb.connect(db, read_only=True) if mode == "hold" else None
with open(out, "w") as f:
    while not os.path.exists(stop):
        try:
            con = held or duckdb.connect(db, read_only=True)
            row = con.execute(sql).fetchall()[0]
            if held is None:
                con.close()
            f.write(json.dumps({"ok": True, "t": time.time(), "fp": [str(v) for v in row]}) + "\n")
        except Exception as exc:
            f.write(json.dumps({"ok": False, "t": time.time(), "error": str(exc)}) + "\n")
        f.flush()
        time.sleep(float(pause))
"""


def fingerprint(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [str(v) for v in con.execute(FINGERPRINT).fetchall()[0]]


def start_readers(db: Path, work: Path, pause: float = 0.01) -> tuple[list[subprocess.Popen], list[Path], Path]:
    """One reader holds the published file open for the whole run, one reopens it per query;
    each waits `pause` seconds between queries."""
    stop = work / "stop"
    outs = [work / "holder.jsonl", work / "reopener.jsonl"]
    procs = [subprocess.Popen([sys.executable, "-c", READER, str(db), str(out), str(stop), mode, FINGERPRINT,
                               str(pause)])
             for out, mode in zip(outs, ("hold", "reopen"))]
    deadline = time.time() + 60
    while not all(o.exists() and o.read_text().count("\n") >= 3 for o in outs):
        assert time.time() < deadline, "readers did not start"
        assert all(p.poll() is None for p in procs), "a reader died"
        time.sleep(0.1)
    return procs, outs, stop


def stop_readers(procs: list[subprocess.Popen], outs: list[Path], stop: Path) -> list[list[dict]]:
    stop.touch()
    for p in procs:
        assert p.wait(timeout=60) == 0
    return [[json.loads(line) for line in o.read_text().splitlines()] for o in outs]


@pytest.fixture()
def home(tmp_path: Path):
    p = make_paths(tmp_path / "home")
    p.warehouse_dir.mkdir(parents=True)
    return p


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> dict[str, Path]:
    """Two audited warehouse files with different marts: the old and the new state."""
    base = tmp_path_factory.mktemp("audited")
    # the build's own schemas (what the marts are made from) sit beside the marts, as after dbt
    build = ["create schema staging", "create table staging.stg_volunteer as select 'STAGED-ONLY-138****5678' as note",
             "create schema bi_zh", "create view bi_zh.v_city as select city as 城市 from marts.dim_city",
             "comment on table marts.dim_city is '城市维表'", "comment on column marts.dim_city.city is '城市'"]
    changes = {"old": build, "new": build + ["update marts.fct_investment set project_name = '公厕新建(二期)'"
                                             " where project_code = 'P002'"]}
    out = {}
    for name, sql in changes.items():
        (base / name).mkdir()
        out[name] = make_warehouse(base / name / "campaign.duckdb", *sql)
        assert audit_warehouse(out[name], run_id=name).success
    return out


def stage(candidate: Path, audited_db: Path) -> None:
    """Put an audited file (and its certificate) where a build would have left the candidate."""
    candidate.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(audited_db, candidate)
    shutil.copy2(certificate.path_for(audited_db), certificate.path_for(candidate))


def test_publish_needs_a_passing_audit_of_these_exact_bytes(home, audited, caplog):
    with pytest.raises(PublishRefused, match="no candidate"):
        publish(home)
    stage(home.candidate_db, audited["old"])
    certificate.write(home.candidate_db, "", certificate.PENDING, ["built, not audited yet"])
    with pytest.raises(PublishRefused, match="pending: built, not audited yet"):
        publish(home)

    stage(home.candidate_db, audited["old"])
    with duckdb.connect(str(home.candidate_db)) as con:  # changed after its audit
        con.execute("delete from marts.dim_city")
    with pytest.raises(PublishRefused, match="changed after the audit"):
        publish(home)

    make_warehouse(home.candidate_db.with_name("bad.duckdb"), "update marts.fct_volunteer_hours set hours = 30")
    shutil.move(home.candidate_db.with_name("bad.duckdb"), home.candidate_db)
    assert not audit_warehouse(home.candidate_db, run_id="bad").success
    with pytest.raises(PublishRefused, match="audit of run bad is failed: fct_volunteer_hours"):
        publish(home)
    assert not home.published_db.exists()

    stage(home.candidate_db, audited["old"])
    assert publish(home) == home.published_db
    assert fingerprint(home.published_db) == fingerprint(audited["old"])
    assert home.state_db.read_bytes() == audited["old"].read_bytes()   # the audited build, kept whole
    assert not home.candidate_db.exists() and not certificate.path_for(home.candidate_db).exists()


def test_the_published_file_holds_the_marts_and_bi_views_only(home, audited):
    stage(home.candidate_db, audited["old"])
    publish(home)
    objects = """select schema_name, table_name, 'table' from duckdb_tables() where database_name = current_database()
                 union all select schema_name, view_name, 'view' from duckdb_views()
                 where database_name = current_database() and not internal order by all"""
    with duckdb.connect(str(home.published_db), read_only=True) as pub, \
            duckdb.connect(str(audited["old"]), read_only=True) as built:
        published, whole = pub.execute(objects).fetchall(), built.execute(objects).fetchall()
        assert {s for s, _, _ in published} == {"marts", "bi_zh"}
        assert published == [o for o in whole if o[0] in ("marts", "bi_zh")]
        assert {s for s, _, _ in whole} > {"marts", "bi_zh"}          # the build file keeps staging
        assert {s for (s,) in pub.execute("select schema_name from duckdb_schemas() where not internal "
                                          "and database_name = current_database()").fetchall()} == {"marts", "bi_zh"}
        for schema, name, _ in published:                              # same rows, same comments
            query = f'select * from "{schema}"."{name}" order by all'
            assert pub.execute(query).fetchall() == built.execute(query).fetchall(), name
        assert pub.execute("select * from bi_zh.v_city order by 1").fetchall() == [
            (c,) for (c,) in built.execute("select city from marts.dim_city order by 1").fetchall()]
        comments = """select comment from duckdb_tables() where table_name = 'dim_city' union all
                      select comment from duckdb_columns() where table_name = 'dim_city' and column_name = 'city'"""
        assert pub.execute(comments).fetchall() == [("城市维表",), ("城市",)]
    assert b"STAGED-ONLY" not in home.published_db.read_bytes()      # not even in a free page
    assert b"STAGED-ONLY" in home.state_db.read_bytes()


def test_a_failed_audit_leaves_the_published_file_byte_identical(home, audited):
    stage(home.candidate_db, audited["old"])
    publish(home)
    before = home.published_db.read_bytes()
    prepare_candidate(home)
    with duckdb.connect(str(home.candidate_db)) as con:
        con.execute("update marts.fct_volunteer_hours set hours = 30 where record_id = 'v1'")
    assert not audit_warehouse(home.candidate_db, run_id="r2").success
    with pytest.raises(PublishRefused):
        publish(home)
    assert home.published_db.read_bytes() == before


def test_prepare_clears_what_a_dead_run_left_and_copies_the_build_file(home, audited):
    stage(home.candidate_db, audited["old"])
    publish(home)
    cand = home.candidate_db
    cand.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (cand, cand.with_name(cand.name + ".wal"), certificate.path_for(cand),
                     cand.with_name(".campaign.duckdb.audit.json.123.tmp")):
        leftover.write_bytes(b"half-written")
    prepare_candidate(home)
    assert sorted(p.name for p in cand.parent.iterdir()) == ["campaign.duckdb"]
    assert cand.read_bytes() == home.state_db.read_bytes()
    prepare_candidate(home, full_refresh=True)
    assert not cand.exists()


@pytest.mark.parametrize("which", ["published_db", "state_db"])
def test_a_stale_write_ahead_log_beside_a_warehouse_file_stops_the_build(home, audited, which):
    stage(home.candidate_db, audited["old"])
    publish(home)
    getattr(home, which).with_name("campaign.duckdb.wal").write_bytes(b"someone wrote")
    with pytest.raises(BuildFailed, match="read-write"):
        prepare_candidate(home)


def test_readers_see_old_or_new_and_never_block_a_publish(home, audited, tmp_path):
    """Reader processes query the published file in a loop while it is replaced six times."""
    stage(home.candidate_db, audited["old"])
    publish(home)
    states = {tuple(fingerprint(audited[k])): k for k in ("old", "new")}
    assert len(states) == 2
    procs, outs, stop = start_readers(home.published_db, tmp_path)
    published_at = []
    for name in ("new", "old", "new", "old", "new", "old"):
        stage(home.candidate_db, audited[name])
        time.sleep(0.3)
        started = time.perf_counter()
        publish(home)  # never waits for the readers
        assert time.perf_counter() - started < 5
        published_at.append(time.time())
    time.sleep(0.3)
    holder, reopener = stop_readers(procs, outs, stop)
    for answers in (holder, reopener):
        assert answers and all(a["ok"] for a in answers), [a for a in answers if not a["ok"]][:3]
        assert {tuple(a["fp"]) for a in answers} <= set(states), "a reader saw a state neither old nor new"
    assert {states[tuple(a["fp"])] for a in holder} == {"old"}  # its open file is the old one, whole
    seen = [states[tuple(a["fp"])] for a in reopener if a["t"] > published_at[0]]
    assert {"old", "new"} <= set(seen)  # a reader that reopens follows the publishes
    assert fingerprint(home.published_db) == list(next(k for k, v in states.items() if v == "old"))


def test_warehouse_cli_is_documented():
    out = subprocess.run([sys.executable, "-m", "warehouse.duck", "--help"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert "--run-id" in out and "--full-refresh" in out


def test_data_docs_of_old_runs_are_pruned(tmp_path, monkeypatch):
    from warehouse.duck import prune_docs

    for i, run in enumerate(("r1", "r2", "r3")):
        (tmp_path / run).mkdir()
        (tmp_path / run / "index.html").write_text(run)
        os.utime(tmp_path / run, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / "static").mkdir()  # not a run's site: left alone
    monkeypatch.setenv("CAMPAIGN_DATA_DOCS_KEEP", "2")
    prune_docs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r2", "r3", "static"]
