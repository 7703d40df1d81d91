"""Table-driven ingest tests over tiny real files in a temporary landing area."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from ingest.pipeline import ingest_file
from tests.conftest import query

VOL_HEADER = "志愿者姓名,身份证号,联系电话,所属队伍,活动名称,服务类别,服务日期,服务时长(小时)"
VOL_ROWS = ["王小明,11010519491231002X,13812345678,青年队,文明交通劝导,文明交通,2022/5/3,2",
            "李四,110101199003074514,13912345678,青年队,敬老助残,敬老助残,2022/5/4,3.5"]
TODAY = dt.date(2026, 1, 1)


def put(home: Path, rel: str, data: bytes) -> str:
    path = home / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return rel


def csv_bytes(lines: list[str], encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(tmp: Path, rows: list[list]) -> bytes:
    path = tmp / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("投资台账")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.add_worksheet("填报说明").write(0, 0, "请按月填报")
    book.close()
    return path.read_bytes()


INVEST_ROWS = [
    ["格尔木市创建全国文明城市项目投资情况表(2022年5月)"],
    ["填报单位:格尔木市发展和改革委员会", None, None, None, None, "填报日期:2022年6月5日", None, None, "单位:万元"],
    ["序号", "项目编号", "项目名称", "责任单位", "项目类别", "计划总投资", "本月完成投资", "累计完成投资", "项目进度", "开工日期"],
    [1, "P-1", "公厕提升", "市住建局", "环境卫生", 1035.6, 0, 0, "编制方案/可研", None],
    [],
    [2, "P-2", "站台升级", "市交通运输局", "交通设施", "１,２００.５", 10.25, 20.5, "开工建设", "2022年4月9日"],
    [3, "P-3", "天文台", "市天文局", "基础设施", 100, 0, 0, "招投标", None],
    ["合计", None, None, None, None, 2336.1, 10.25, 20.5],
    ["填表人:张三", None, None, "审核人:李四", None, None, "联系电话:0979-8412345"],
]


def test_xlsx_title_rows_units_total_and_footer(tmp_path):
    rel = put(tmp_path, "格尔木市/市发改委/investment/2022年5月投资台账.xlsx", xlsx_bytes(tmp_path, INVEST_ROWS))
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("accepted", 3, 2, 1)
    assert r.period_month == dt.date(2022, 5, 1) and r.department_code == "golmud_fgw"
    assert [(q.row, q.reason_code, q.value) for q in r.rejected] == [(7, "unknown_department", "市天文局")]
    rows = query(tmp_path / "warehouse/raw.duckdb", """select project_code, responsible_department_code,
        planned_amount_yuan, cumulative_amount_yuan, start_date, row_number, sheet from raw_investment order by 1""")
    assert rows == [("P-1", "golmud_zjj", Decimal("10356000.00"), Decimal("0.00"), None, 4, "投资台账"),
                    ("P-2", "golmud_jtj", Decimal("12005000.00"), Decimal("205000.00"), dt.date(2022, 4, 9), 6, "投资台账")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    rel = put(tmp_path, "射洪市/市文明办/volunteer/5月志愿服务.csv", csv_bytes([VOL_HEADER, *VOL_ROWS], encoding))
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.rows_loaded, r.period_month) == ("accepted", 2, dt.date(2022, 5, 1))
    names = query(tmp_path / "warehouse/raw.duckdb", "select masked_name, masked_phone from raw_volunteer order by 1")
    assert sorted(names) == sorted([("王**", "138****5678"), ("李*", "139****5678")])


@pytest.mark.parametrize("data, reason", [
    (csv_bytes([VOL_HEADER, *VOL_ROWS], "utf-16"), "unsupported_encoding"),
    (bytes(range(128, 256)) * 20, "undecodable"),
    (b"", "empty_file"),
    (csv_bytes(["姓名,职务,电话", "张三,科员,13800000000"], "gbk"), "unknown_kind"),
    (csv_bytes([VOL_HEADER]), "no_rows"),
    (csv_bytes([VOL_HEADER, VOL_ROWS[0].replace("2022/5/3", "2021/6/3")]), "period_unsettled"),
])
def test_refused_files(tmp_path, data, reason):
    rel = put(tmp_path, "射洪市/市文明办/volunteer/5月志愿服务.csv", data)
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.reason_code) == ("refused", reason)
    assert not (tmp_path / "landing" / rel).exists() and (tmp_path / r.archived_path).exists()


@pytest.mark.parametrize("rel, reason, words", [
    ("射洪市/市天文局/volunteer/5月.csv", "unknown_department", ["市天文局"]),
    ("成都市/市文明办/volunteer/5月.csv", "unknown_city", ["成都市"]),
    ("射洪市/市文明办/5月.csv", "bad_landing_path", []),
    ("射洪市/市文明办/issue/5月.csv", "metadata_conflict", ["issue", "volunteer"]),
    ("射洪市/市文明办/volunteer/2022年6月志愿服务.csv", "metadata_conflict", ["6月", "5月"]),
])
def test_metadata_refusals_name_the_values(tmp_path, rel, reason, words):
    name = Path(rel).name
    data = csv_bytes([VOL_HEADER, *VOL_ROWS]) if "6月" not in name else csv_bytes(
        ["射洪市志愿服务记录(2022年5月)", VOL_HEADER, *VOL_ROWS])
    put(tmp_path, rel, data)
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.reason_code) == ("refused", reason)
    assert all(w in r.message for w in words), r.message


def test_json_envelope_and_conflict(tmp_path):
    record = {"问题编号": "I-1", "发现日期": "2022-05-02", "问题类别": "治脏", "责任单位": "市城管局",
              "整改时限": "2022-05-10", "整改状态": "已整改", "整改完成日期": "", "复核结果": ""}
    ok = {"city": "寿光市", "department": "寿光市城市管理局", "kind": "issue", "period": "2022-05",
          "records": [record, {**record, "问题编号": "I-2", "整改完成日期": "2022-05-09"}]}
    rel = put(tmp_path, "寿光市/市城市管理局/issue/export.json", json.dumps(ok, ensure_ascii=False).encode())
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("accepted", 1, 1)
    assert r.rejected[0].reason_code == "missing_rectified_date" and r.rejected[0].row == 1
    bad = {**ok, "city": "潍坊市"}
    rel = put(tmp_path, "寿光市/市城市管理局/issue/export2.json", json.dumps(bad, ensure_ascii=False).encode())
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert r.reason_code == "metadata_conflict" and "潍坊市" in r.message and "寿光市" in r.message


def test_duplicate_bytes_load_once_and_resubmission_supersedes(tmp_path):
    data = csv_bytes([VOL_HEADER, *VOL_ROWS])
    first = ingest_file(put(tmp_path, "射洪市/市文明办/volunteer/5月a.csv", data), tmp_path, today=TODAY)
    again = ingest_file(put(tmp_path, "射洪市/市文明办/volunteer/5月-副本.csv", data), tmp_path, today=TODAY)
    assert (first.status, again.status, again.submission_id) == ("accepted", "duplicate", first.submission_id)
    fixed = ingest_file(put(tmp_path, "射洪市/市文明办/volunteer/5月b.csv", csv_bytes([VOL_HEADER, VOL_ROWS[0]])),
                        tmp_path, today=TODAY)
    db = tmp_path / "warehouse/raw.duckdb"
    assert query(db, "select submission_id, superseded_by from submissions order by loaded_at") == [
        (first.submission_id, fixed.submission_id), (fixed.submission_id, None)]
    assert query(db, "select count(*) from raw_volunteer") == [(3,)]  # history kept
    ledger = query(db, "select status, rows_in, rows_loaded + rows_quarantined from file_ledger order by received_at")
    assert ledger == [("accepted", 2, 2), ("duplicate", 0, 0), ("accepted", 1, 1)]


@pytest.mark.parametrize("row, reason", [
    ("王小明,110105194912310021,13812345678,青年队,劝导,文明交通,2022/5/3,2", "bad_id_number"),
    ("王小明,11010519491231002X,13812345678,青年队,劝导,文明交通,2022/5/3,30", "hours_out_of_range"),
    ("王小明,11010519491231002X,13812345678,青年队,劝导,文明交通,2022/5/3,0", "hours_out_of_range"),
    ("王小明,11010519491231002X,13812345678,青年队,劝导,文明交通,2031年1月1日,2", "date_in_future"),
    (",11010519491231002X,13812345678,青年队,劝导,文明交通,2022/5/3,2", "missing_required"),
    ("王小明,11010519491231002X,1381234,青年队,劝导,文明交通,2022/5/3,2", "bad_phone"),
    ("王小明,11010519491231002X,13812345678,青年队,劝导,文明交通,2022/5/32,2", "bad_date"),
    ("王小明,11010519491231002X,13812345678,青年队,劝导,文明交通,2022/5/3,23", "daily_hours_exceeded"),
])
def test_volunteer_row_rules(tmp_path, row, reason):
    rel = put(tmp_path, "射洪市/市文明办/volunteer/5月.csv", csv_bytes([VOL_HEADER, *VOL_ROWS, row]))
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert r.rows_in == r.rows_loaded + r.rows_quarantined
    assert reason in {q.reason_code for q in r.rejected}
    stored = query(tmp_path / "warehouse/raw.duckdb", "select value, message from quarantine")
    assert all("11010519491231002X" not in (v or "") + m for v, m in stored)  # masked
