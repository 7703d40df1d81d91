"""ingest.raw.receipt: what a clerk gets back for a file, as text, JSON and a CSV of problem rows,
beside the landing folders (never outside the receipts directory)."""
from __future__ import annotations

import csv
import datetime as dt
import json

from ingest.raw.receipt import Receipt, receipt_dir, write_receipt
from ingest.rows.messages import reject, warn


def _accepted() -> Receipt:
    r = Receipt(receipt_id="0123456789abcdef", run_id="r", source_file="射洪市/市文明办/volunteer/5月.csv",
                content_sha256="ab" * 32, submission_id="abababababababab",
                received_at=dt.datetime(2022, 6, 1, 8, 30), status="accepted", kind="volunteer",
                period_month=dt.date(2022, 5, 1), rows_in=3, rows_loaded=2, rows_quarantined=1, rows_warned=1)
    r.rejected = [reject(4, "hours_out_of_range", "服务时长(小时)", "25")]
    r.warnings = [warn(3, "outside_period", "服务日期", "2022-04-30", "2022-05")]
    return r


def test_an_accepted_file_says_what_loaded_and_which_rows_to_fix():
    text = _accepted().text()
    assert text.startswith("文件《5月.csv》:")
    assert "填报期间 2022年05月,共 3 行数据,入库 2 行,退回 1 行,另有 1 行请核实。" in text
    assert "第 4 行 [服务时长(小时)]:“服务时长(小时)”须大于 0 且不超过 24 小时:25" in text
    assert "以下行已入库,但请核实:" in text and "第 3 行 [服务日期]" in text


def test_a_refused_file_gives_its_reason():
    r = Receipt(receipt_id="1", run_id="r", source_file="a/b/issue/x.csv", content_sha256="", submission_id=None,
                received_at=dt.datetime(2022, 6, 1), message="文件为空(0 字节),请检查后重新提交")
    assert r.text().splitlines()[1] == "原因:文件为空(0 字节),请检查后重新提交"
    assert r.ledger_row()["status"] == "refused" and "rejected" not in r.ledger_row()


def test_receipts_mirror_the_landing_folders_with_json_text_and_problem_rows(tmp_path):
    path = write_receipt(tmp_path, _accepted())
    assert path.parent == tmp_path / "射洪市/市文明办/volunteer"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["period_month"] == "2022-05" and doc["rejected"][0]["reason_code"] == "hours_out_of_range"
    assert path.with_suffix(".txt").read_text(encoding="utf-8") == _accepted().text() + "\n"
    with open(path.with_suffix(".csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["行号", "处理", "字段", "填写的值", "原因"]
    assert [r[:4] for r in rows[1:]] == [["4", "未入库", "服务时长(小时)", "25"], ["3", "请核实", "服务日期", "2022-04-30"]]


def test_a_path_that_tries_to_leave_the_receipts_lands_in_unsafe(tmp_path):
    assert receipt_dir(tmp_path, "../../etc/x.csv") == tmp_path / "_unsafe"
    assert receipt_dir(tmp_path, "/abs/x.csv") == tmp_path / "_unsafe"
