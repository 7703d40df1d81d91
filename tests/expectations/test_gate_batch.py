"""The submission gate for a batch of files at once (expectations.gate.batch): one GX run
per kind and month over the files side by side, yet every file gets exactly the verdict it gets
alone, and a batch loads exactly as its files do one by one."""
from __future__ import annotations

import dataclasses
import logging
import shutil

from ingest import config
from ingest.pipeline import discover, ingest_file
from flows.ingest_steps import load_batch
from tests.conftest import query
from tests.expectations.test_gate import INVEST_CSV, INVEST_REL, ISSUE_CSV, ISSUE_REL, TODAY, put

UNIT_SLIP = "\n".join(["项目编号,项目名称,责任单位,计划总投资,项目进度",     # no unit: 元, median 120 -> refused
                       "P-1,公厕提升,市住建局,120,编制方案/可研",
                       "P-2,站台升级,市交通运输局,350,开工建设",
                       "P-3,绿化补植,市住建局,80,开工建设"]) + "\n"
FILES = {
    INVEST_REL: INVEST_CSV,                                                   # two rows quarantined
    "格尔木市/市住建局/investment/2022年5月投资台账.csv": UNIT_SLIP,             # refused (median)
    ISSUE_REL: ISSUE_CSV,                                                     # three rows quarantined
    "格尔木市/市城管局/issue/2022年5月问题整改台账.csv": "\n".join(ISSUE_CSV.splitlines()[:2]) + "\n",  # clean
    "格尔木市/市城管局/issue/2022年6月问题整改台账.csv":                         # another month: own group
        ISSUE_CSV.replace("2022-05-0", "2022-06-0").replace("2022-05-1", "2022-06-1"),
}


def _landing(home):
    for rel, text in FILES.items():
        put(home, rel, text)
    return discover(home / "landing")


def test_verdicts_of_files_validated_together_equal_their_verdicts_alone(tmp_path):
    from expectations.gate import run
    from expectations.gate.batch import validate_staged
    from ingest.batch import collect

    staged = collect(config.paths(tmp_path), _landing(tmp_path), TODAY)
    assert sorted(s.kind for s in staged) == ["investment"] * 2 + ["issue"] * 3
    together = {v.key: [dataclasses.asdict(o) for o in v.outcomes] for v in validate_staged(staged)}
    alone = {s.key: [dataclasses.asdict(o) for o in run.validate(s.kind, s.frame, s.params, s.key).outcomes]
             for s in staged}
    assert together == alone
    failed = {o["reason_code"]: o["rows"] for outcomes in alone.values() for o in outcomes if not o["success"]}
    assert failed == {"gx_amount_implausible": [3], "gx_started_after_period": [4], "gx_unit_suspect": [],
                      "gx_closed_but_review_failed": [3], "gx_found_after_period": [4],
                      "gx_rectified_after_period": [5]}


def test_a_batch_loads_as_its_files_do_one_by_one(tmp_path, caplog):
    one_by_one, batch = tmp_path / "one", tmp_path / "batch"
    rels = _landing(one_by_one)
    shutil.copytree(one_by_one / "landing", batch / "landing")
    singles = {rel: ingest_file(rel, one_by_one, run_id="r") for rel in rels}
    with caplog.at_level(logging.DEBUG, logger="expectations.gate"):
        results = load_batch({"files": [{"rel": rel, "n": i, "of": len(rels)} for i, rel in enumerate(rels, 1)]},
                             batch, "r", lambda done: None)
    assert caplog.text.count("found in the batch cache") == len(rels)   # no file validated on its own
    assert {r["file"]: (r["status"], r["reason"], r["loaded"], r["quarantined"]) for r in results} == {
        rel: (s.status, s.reason_code, s.rows_loaded, s.rows_quarantined) for rel, s in singles.items()}
    assert sorted(r["status"] for r in results) == ["accepted"] * 4 + ["refused"]
    for sql in ("select source_file, row_number, field, value, reason_code, message from quarantine order by all",
                "select source_file, expectation, column_name, element_count, unexpected_count, success, action, "
                "reason_code, sample from quality_results order by all"):
        assert query(batch / "warehouse/raw.duckdb", sql) == query(one_by_one / "warehouse/raw.duckdb", sql)
    assert not list((batch / "quality" / "submission_gate").glob("*.json"))  # every verdict consumed


def test_a_suite_of_value_checks_validated_over_distinct_values_decides_as_over_rows():
    """The volunteer suite judges each cell alone, so the gate validates distinct values and gives
    each row its value's outcome: the same success, counts and row numbers as row by row."""
    import datetime as dt

    import duckdb

    from expectations.gate import distinct, run, stage
    from expectations.gate.verdict import Context, parameters
    from ingest.raw import load
    from ingest.contracts import all_contracts

    con = duckdb.connect()
    con.execute(load.SCHEMA_SQL)
    load.FileLoad(con, all_contracts()["volunteer"])
    good = ("a" * 64, "张*", "138****5678", "青年志愿者协会", "文明劝导", None)
    odd = {7: ("b" * 63 + "X", "李*", "139****0000", "青年志愿者协会", "文明劝导", "环境"),  # key not a hash
           8: (*good[:2], "13912345678", *good[3:]),                                    # phone unmasked
           2999: (*good[:3], "队长 110105194912310025", *good[4:])}                      # ID number in a team
    rows = [(n, *odd.get(n, odd[8] if n % 1000 == 8 else good)) for n in range(2, 3002)]
    con.executemany(f"insert into {load.STAGE} (row_number, volunteer_key, masked_name, masked_phone, team, "
                    "activity, category) values (?, ?, ?, ?, ?, ?, ?)", rows)
    params = parameters(Context("volunteer", "c", "d", dt.date(2022, 5, 1), "s", "f", "r", TODAY))
    names = distinct.columns("volunteer", con, load.STAGE)
    assert names == ["volunteer_key", "masked_name", "masked_phone", "team", "activity", "category"]
    by_values = distinct.validate("volunteer", con, load.STAGE, names, params, "k")
    by_rows = run.validate_chunks("volunteer", stage.stage_frames(con, load.STAGE, False), params, "k")
    assert [dataclasses.asdict(o) for o in by_values.outcomes] == [dataclasses.asdict(o) for o in by_rows.outcomes]
    failed = {o.column: (o.rows, o.unexpected_count, o.element_count) for o in by_values.outcomes if not o.success}
    assert failed == {"volunteer_key": ([7], 1, 3000), "masked_phone": ([8, 1008, 2008], 3, 3000),
                      "team": ([2999], 1, 3000)}
