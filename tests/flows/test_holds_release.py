"""Holds in raw without a warehouse run: only a current submission can be held; a held one is
what the summary lists; releasing it (python -m flows release) makes the next run build again;
a resubmission ends a hold's effect."""
from __future__ import annotations

from flows.cli import main
from flows.summary import render, summarise
from ingest.config import paths as make_paths
from ingest.pipeline import ingest_file
from ingest.raw import holds, state
from tests.conftest import query
from tests.corpus import files as F
from warehouse.target import raw_writes

REL = "射洪市/教育局/volunteer/2022年5月志愿服务.csv"
DOC = {"suite": "fct_volunteer_hours_daily", "expectation": "expect_column_values_to_be_between",
       "column": "daily_hours", "reason": "fct_volunteer_hours_daily: …", "reason_zh": "数据仓库汇总审核未通过:…"}


def _land(home, hours: float, name: str = REL) -> str:
    F.put(home / "landing", name, F.csv_bytes([F.VOL_HEADER, ["甲", F.person_id(1, "510998"), "13912345678", "队",
                                                              "文明实践", "文明交通", "2022/5/3", hours]]))
    return ingest_file(name, home).submission_id


def test_hold_release_and_resubmission(tmp_path, capsys):
    home = tmp_path / "home"
    paths = make_paths(home)
    sid = _land(home, 10)
    before = state.fingerprint(paths.raw_db)
    with raw_writes(paths, "duckdb") as run:
        rows = holds.hold(run, "wh-1", {sid: [DOC], "0000000000000000": [DOC]})   # an unknown id: skipped
    assert [(r["submission_id"], r["source_file"], r["expectations"]) for r in rows] == [
        (sid, REL, "fct_volunteer_hours_daily: expect_column_values_to_be_between(daily_hours)")]
    assert state.fingerprint(paths.raw_db) != before                 # a hold changes what a build reads
    text = render(summarise(paths))
    assert f"  [held_back] {REL} ({sid}) — fct_volunteer_hours_daily: expect_column_values_to_be_between" in text

    assert main(["--home", str(home), "release", sid]) == 0
    assert "released" in capsys.readouterr().out
    assert query(paths.raw_db, "select count(*) from held_submissions") == [(0,)]
    assert state.fingerprint(paths.raw_db) == before
    assert main(["--home", str(home), "release", sid]) == 1          # nothing held any more

    with raw_writes(paths, "duckdb") as run:
        holds.hold(run, "wh-2", {sid: [DOC]})
    newer = _land(home, 4, REL.replace(".csv", "(更正).csv"))        # the resubmission supersedes it
    with raw_writes(paths, "duckdb") as run:
        assert holds.in_force(run) == [] and holds.current(run, [sid, newer]).keys() == {newer}
