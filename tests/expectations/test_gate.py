"""The GX submission gate on real files through ingest (real raw DuckDB): rows ingest's own rules
let through are quarantined with the gate's reason, a file in the wrong unit is refused, every
outcome lands in the quality store, and the gate is optional, lazy and cacheable per batch."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import ingest_file
from tests.conftest import REPO, TEST_HASH_KEY, query

TODAY = dt.date(2026, 1, 1)
INVEST_CSV = "\n".join([
    "项目编号,项目名称,责任单位,项目类别,计划总投资(万元),本月完成投资(万元),累计完成投资(万元),项目进度,开工日期",
    "P-1,公厕提升,市住建局,环境卫生,1035.6,0,0,编制方案/可研,",
    "P-2,站台升级,市交通运输局,交通设施,3000000,10,20,开工建设,2022年4月9日",   # 300 亿元: a unit slip
    "P-3,背街小巷改造,市住建局,基础设施,880,10,20,开工建设,2022年7月9日",       # under way, starts in July
]) + "\n"
INVEST_REL = "格尔木市/市发改委/investment/2022年5月投资台账.csv"
ISSUE_CSV = "\n".join([
    "问题编号,发现日期,问题来源,问题类别,点位类型,点位名称,责任单位,整改时限,整改状态,整改完成日期,复核结果",
    "W-1,2022-05-03,暗访督查,治脏,背街小巷,东街,市交通运输局,2022-05-20,已销号,2022-05-10,通过",
    "W-2,2022-05-04,暗访督查,治乱,公交站台,西站,市交通运输局,2022-05-25,已销号,2022-05-12,未通过",
    "W-3,2022-06-02,群众举报,治脏,背街小巷,南街,市交通运输局,2022-06-20,整改中,,",
    "W-4,2022-05-06,群众举报,治脏,背街小巷,北街,市交通运输局,2022-06-20,已整改,2022-06-03,",
]) + "\n"
ISSUE_REL = "格尔木市/市交通运输局/issue/2022年5月问题整改台账.csv"


def put(home: Path, rel: str, text: str) -> str:
    path = home / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8-sig"))
    return rel


def quality(home: Path, where: str = "true") -> list[tuple]:
    return query(home / "warehouse/raw.duckdb", f"""select suite, expectation, column_name, success, action,
        reason_code, unexpected_count, sample from quality_results where {where} order by all""")


def test_gate_quarantines_rows_that_ingest_rules_let_through(tmp_path):
    r = ingest_file(put(tmp_path, INVEST_REL, INVEST_CSV), tmp_path, run_id="t1", today=TODAY)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("accepted", 3, 1, 2)
    assert [(q.row, q.field, q.reason_code) for q in r.rejected] == [
        (3, "计划总投资(万元)", "gx_amount_implausible"), (4, "开工日期", "gx_started_after_period")]
    assert "100 亿元" in r.rejected[0].message and "30000000000.00" in r.rejected[0].message
    assert "2022-07-09" in r.rejected[1].message and "2022年05月" in r.rejected[1].message
    raw = tmp_path / "warehouse/raw.duckdb"
    assert query(raw, "select project_code from raw_investment") == [("P-1",)]
    assert query(raw, "select row_number, reason_code from quarantine order by 1") == [
        (3, "gx_amount_implausible"), (4, "gx_started_after_period")]
    assert query(raw, "select rows_loaded, rows_quarantined from submissions") == [(1, 2)]
    failed = quality(tmp_path, "not success")
    assert failed == [
        ("submission_investment", "expect_column_values_to_be_between", "planned_amount_yuan", False,
         "quarantined", "gx_amount_implausible", 1, json.dumps({"rows": [3]})),
        ("submission_investment", "expect_column_values_to_be_between", "start_date", False,
         "quarantined", "gx_started_after_period", 1, json.dumps({"rows": [4]})),
    ]
    rows = query(raw, """select distinct gate, run_id, city, department_code, kind, period_month, submission_id,
                         source_file from quality_results""")
    assert rows == [("submission", "t1", "格尔木市", "golmud_fgw", "investment", dt.date(2022, 5, 1),
                     r.submission_id, INVEST_REL)]
    assert len(quality(tmp_path)) > len(failed)  # the passing expectations are results too


def test_gate_refuses_a_file_whose_amounts_are_in_the_wrong_unit(tmp_path):
    text = "\n".join(["项目编号,项目名称,责任单位,计划总投资,项目进度",        # no unit anywhere: 元
                      "P-1,公厕提升,市住建局,120,编制方案/可研",
                      "P-2,站台升级,市交通运输局,350,开工建设",
                      "P-3,绿化补植,市住建局,80,开工建设"]) + "\n"
    r = ingest_file(put(tmp_path, INVEST_REL, text), tmp_path, run_id="t2", today=TODAY)
    assert (r.status, r.reason_code) == ("refused", "gx_unit_suspect")
    assert "中位数只有 120.00 元" in r.message and "万元" in r.message
    raw = tmp_path / "warehouse/raw.duckdb"
    assert query(raw, "select count(*) from raw_investment") == [(0,)]
    assert query(raw, "select status, reason_code from file_ledger") == [("refused", "gx_unit_suspect")]
    [(suite, exp, col, success, action, reason, unexpected, sample)] = quality(tmp_path, "not success")
    assert (exp, col, action, reason) == ("expect_column_median_to_be_between", "planned_amount_yuan",
                                          "refused", "gx_unit_suspect")
    assert json.loads(sample) == {"observed": 120.0}


def test_issue_ledger_contradictions_are_quarantined(tmp_path):
    r = ingest_file(put(tmp_path, ISSUE_REL, ISSUE_CSV), tmp_path, run_id="t3", today=TODAY)
    assert (r.status, r.period_month, r.rows_loaded) == ("accepted", dt.date(2022, 5, 1), 1)
    assert [(q.row, q.field, q.value, q.reason_code) for q in r.rejected] == [
        (3, "复核结果", "未通过", "gx_closed_but_review_failed"),
        (4, "发现日期", "2022-06-02", "gx_found_after_period"),
        (5, "整改完成日期", "2022-06-03", "gx_rectified_after_period")]
    assert "2022年05月" in r.rejected[1].message
    assert query(tmp_path / "warehouse/raw.duckdb", "select issue_code from raw_issue") == [("W-1",)]


def test_a_row_wise_suite_validated_in_chunks_decides_as_the_whole_file(tmp_path, monkeypatch):
    """The issue suite runs over the stage in chunks (memory); its verdict is the whole file's:
    the same rows quarantined with the same reasons and values, the same counts in the store."""
    from expectations.gate import stage

    body = ISSUE_CSV.splitlines()[1:]
    lines = [ISSUE_CSV.splitlines()[0]] + [
        line.replace(line.split(",")[0], f"W-{n}", 1) for n in range(1, 6001) for line in [body[n % 4]]]
    text = "\n".join(lines) + "\n"
    outcomes = {}
    for label, chunk_rows in (("whole", 10_000_000), ("chunks", 2048)):
        monkeypatch.setattr(stage, "CHUNK_ROWS", chunk_rows)
        home = tmp_path / label
        r = ingest_file(put(home, ISSUE_REL, text), home, run_id="t", today=TODAY)
        rejected = [(q.row, q.field, q.value, q.reason_code) for q in r.rejected]
        outcomes[label] = (r.status, r.rows_loaded, r.rows_quarantined, rejected,
                           query(home / "warehouse/raw.duckdb", "select row_number, value, reason_code from "
                                 "quarantine order by 1"),
                           [q[:-1] for q in quality(home)],
                           query(home / "warehouse/raw.duckdb", "select distinct element_count from quality_results order by 1"))
    assert outcomes["chunks"] == outcomes["whole"]
    status, loaded, quarantined, _, stored, _, counts = outcomes["chunks"]
    assert (status, loaded, quarantined) == ("accepted", 1500, 4500) and (6000,) in counts
    assert {row for row, *_ in stored} >= {2, 6000}   # first and last chunk both judged


def test_personal_data_left_in_rows_refuses_the_file():
    """The second line of defence: should ingest ever leave a number unmasked, the file is refused
    and no message or sample repeats the number."""
    import pandas as pd

    from expectations.gate.decision import check
    from expectations.gate.verdict import Context

    df = pd.DataFrame({"row_number": [2, 3], "volunteer_key": ["a" * 64, "b" * 64],
                       "masked_name": ["张*", "李*"], "masked_phone": ["138****5678", "13912345678"],
                       "team": ["青年队", "联系人 110105194912310025"], "activity": ["劝导", "劝导"],
                       "category": [None, None], "service_date": pd.to_datetime(["2022-05-03", "2022-05-04"]),
                       "hours": [2.0, 3.0]})
    ctx = Context("volunteer", "射洪市", "shehong_wmb", dt.date(2022, 5, 1), "0123456789abcdef",
                  "射洪市/市文明办/volunteer/5月.csv", "t", TODAY)
    decision = check(df, ctx, {"masked_phone": "联系电话", "team": "所属队伍"}.get)
    assert decision.refusal[0] == "gx_personal_data_unmasked" and "联系电话" in decision.refusal[1]
    failed = [r for r in decision.records if not r.success]
    assert {r.column for r in failed} == {"masked_phone", "team"}
    assert {r.action for r in failed} == {"refused"}
    text = json.dumps([decision.refusal, [r.sample for r in decision.records]], ensure_ascii=False)
    assert "13912345678" not in text and "110105194912310025" not in text


def test_gate_is_optional_and_never_imported_with_ingest(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_SUBMISSION_GATE", "off")
    r = ingest_file(put(tmp_path, INVEST_REL, INVEST_CSV), tmp_path, today=TODAY)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("accepted", 3, 0)
    code = ("import sys, ingest.pipeline, ingest.cli, warehouse.duck, expectations, expectations.gate.stage, expectations.gate.batch, ingest.gate, ingest.batch;"
            "assert 'great_expectations' not in sys.modules, 'GX imported at module import'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_rerun_replaces_a_files_results_instead_of_adding(tmp_path):
    import duckdb

    from expectations import store
    from expectations.store import ExpectationRecord

    now = dt.datetime.now(dt.timezone.utc)
    rec = [ExpectationRecord("submission", "submission_issue", "expect_x", "c", True, 0, 3, run, now,
                             submission_id="abc") for run in ("first", "second")]
    with duckdb.connect(str(tmp_path / "raw.duckdb")) as con:
        store.record_submission(con, "abc", [rec[0]])
        store.record_submission(con, "abc", [rec[1]])  # the same content validated again
        assert con.execute("select run_id from quality_results").fetchall() == [("second",)]


def test_batch_prevalidation_spares_each_file_step_the_gx_import(tmp_path):
    """prevalidate caches each file's verdict in one process; the per-file step in another process
    then applies it without importing GX, with the same outcome as validating in-process."""
    rel = put(tmp_path, INVEST_REL, INVEST_CSV)
    env = {**os.environ, "CAMPAIGN_HASH_KEY": TEST_HASH_KEY}
    pre = subprocess.run([sys.executable, "-c", f"""
import datetime as dt
from ingest.batch import prevalidate
print(prevalidate({str(tmp_path)!r}, today=dt.date(2026, 1, 1)))"""], cwd=REPO, env=env, capture_output=True,
                         text=True, check=True)
    assert pre.stdout.split() == ["1"]
    assert len(list((tmp_path / "quality" / "submission_gate").glob("*.json"))) == 1
    assert not (tmp_path / "warehouse" / "raw.duckdb").exists()  # nothing loaded by prevalidation
    out = subprocess.run([sys.executable, "-c", f"""
import datetime as dt, json, sys
from ingest.pipeline import ingest_file
r = ingest_file({rel!r}, {str(tmp_path)!r}, run_id="t", today=dt.date(2026, 1, 1))
print(json.dumps([r.status, r.rows_loaded, [q.reason_code for q in r.rejected],
                  "great_expectations" in sys.modules]))"""], cwd=REPO, env=env, capture_output=True,
                         text=True, check=True)
    assert json.loads(out.stdout) == ["accepted", 1, ["gx_amount_implausible", "gx_started_after_period"], False]
    assert not list((tmp_path / "quality" / "submission_gate").glob("*.json"))  # consumed
    assert len(quality(tmp_path, "not success")) == 2


@pytest.mark.parametrize("kind", ["investment", "volunteer", "issue"])
def test_suites_build_and_name_their_actions(kind):
    from expectations.gate.suites import SUBMISSION_SUITES

    suite = SUBMISSION_SUITES[kind]()
    assert suite.name == f"submission_{kind}" and suite.expectations
    for e in suite.expectations:
        assert e.meta["level"] in {"row", "file"} and e.meta["reason"].startswith("gx_"), e
