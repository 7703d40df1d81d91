"""Warn-level rules against what is already loaded: rows load, the receipt and row_warnings say why."""
from __future__ import annotations

import datetime as dt

from ingest.pipeline import ingest_file
from tests.conftest import query
from tests.corpus import files as F

TODAY = dt.date(2026, 1, 1)
INV = ["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "累计完成投资(万元)", "项目进度"]
ISSUE = ["问题编号", "发现日期", "问题类别", "责任单位", "整改时限", "整改状态", "整改完成日期", "复核结果"]


def _load(home, rel: str, rows: list[list]) -> object:
    F.put(home / "landing", rel, F.csv_bytes(rows))
    return ingest_file(rel, home, today=TODAY)


def test_investment_history_warnings(tmp_path):
    _load(tmp_path, "寿光市/市住建局/investment/2022年4月.csv",
          [INV, ["H-1", "公厕", "住建局", 100, 40, "开工建设"], ["H-2", "站台", "住建局", 100, 0, "招投标"]])
    r = _load(tmp_path, "寿光市/市住建局/investment/2022年5月.csv",
              [INV, ["H-1", "公厕", "住建局", 100, 30, "招投标"], ["H-2", "站台", "住建局", 100, 5, "开工建设"]])
    assert (r.status, r.rows_loaded, r.rows_warned) == ("accepted", 2, 2)
    assert [(w.row, w.reason_code) for w in r.warnings] == [(2, "cumulative_decreased"), (2, "stage_regressed")]
    assert "2022-04 报送的 400,000.00 元" in r.warnings[0].message and "开工建设" in r.warnings[1].message
    other = _load(tmp_path, "寿光市/市发改委/investment/2022年5月.csv", [INV, ["H-2", "站台", "住建局", 100, 5, "开工建设"]])
    assert [(w.reason_code, w.value) for w in other.warnings] == [("reported_by_other_department", "H-2")]
    assert "寿光市住房和城乡建设局" in other.warnings[0].message
    stored = query(tmp_path / "warehouse/raw.duckdb", "select source_file, row_number, reason_code from row_warnings")
    assert sorted(stored) == sorted([("寿光市/市发改委/investment/2022年5月.csv", 2, "reported_by_other_department"),
                      ("寿光市/市住建局/investment/2022年5月.csv", 2, "cumulative_decreased"),
                      ("寿光市/市住建局/investment/2022年5月.csv", 2, "stage_regressed")])
    assert query(tmp_path / "warehouse/raw.duckdb", "select sum(rows_warned) from file_ledger") == [(3,)]
    third = _load(tmp_path, "寿光市/市文旅局/investment/2022年5月.csv", [INV, ["H-2", "站台", "文旅局", 100, 5, "开工建设"]])
    assert third.status == "accepted", third.message
    [warning] = third.warnings            # one warning per row, naming every other department
    assert (warning.row, warning.reason_code) == (2, "reported_by_other_department")
    assert "寿光市住房和城乡建设局" in warning.message and "寿光市发展和改革委员会" in warning.message


def test_issue_status_may_only_go_back_after_a_failed_review(tmp_path):
    _load(tmp_path, "毕节市/市城管局/issue/2022年4月.csv",
          [ISSUE, ["S-1", "2022-04-01", "治脏", "城管局", "2022-04-20", "已整改", "2022-04-10", ""],
           ["S-2", "2022-04-01", "治脏", "城管局", "2022-04-20", "已整改", "2022-04-10", ""]])
    r = _load(tmp_path, "毕节市/市城管局/issue/2022年5月.csv",
              [ISSUE, ["S-1", "2022-04-01", "治脏", "城管局", "2022-04-20", "整改中", "", ""],
               ["S-2", "2022-04-01", "治脏", "城管局", "2022-04-20", "整改中", "", "未通过"]])
    assert [(w.row, w.reason_code) for w in r.warnings] == [(2, "status_regressed")]


def test_resubmission_receipt_names_what_it_replaces(tmp_path):
    first = _load(tmp_path, "射洪市/发改委/investment/2022年5月.csv", [INV, ["R-1", "x", "住建局", 100, 1, "招投标"]])
    second = _load(tmp_path, "射洪市/发改委/investment/2022年5月(更正).csv", [INV, ["R-1", "x", "住建局", 100, 2, "招投标"]])
    assert second.supersedes == [first.submission_id] and first.submission_id in second.text()
    assert query(tmp_path / "warehouse/raw.duckdb", "select submission_id, superseded_by from submissions order by loaded_at") == [
        (first.submission_id, second.submission_id), (second.submission_id, None)]
