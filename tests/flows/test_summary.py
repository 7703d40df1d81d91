"""flows.summary and `python -m flows summary`: the latest ingest run's files and rows, the
published marts and the last audit, read from a real home."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from flows.summary import render, summarise
from ingest.config import paths as campaign_paths
from ingest.pipeline import ingest_file
from tests.conftest import REPO

VOLUNTEER = ("志愿者姓名,身份证号,联系电话,所属队伍,活动名称,服务类别,服务日期,服务时长(小时)\r\n"
             "王小明,11010519491231002X,13812345678,青年队,文明交通劝导,文明交通,2022/5/3,2\r\n"
             "李四,110101199003074514,13912345678,青年队,敬老助残,敬老助残,2022/5/4,30\r\n")


def _home(tmp_path):
    for rel, text in (("射洪市/市文明办/volunteer/2022年5月.csv", VOLUNTEER),
                      ("射洪市/市文明办/volunteer/空.csv", "")):
        path = tmp_path / "landing" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        ingest_file(rel, tmp_path, run_id="run-1", today=dt.date(2026, 1, 1))
    return campaign_paths(tmp_path)


def test_the_summary_of_an_ingest_run_before_any_publish(tmp_path, monkeypatch):
    monkeypatch.delenv("CAMPAIGN_TARGET", raising=False)
    s = summarise(_home(tmp_path))
    assert s["run_id"] == "run-1"
    assert [(f["file"], f["status"], f["loaded"], f["quarantined"]) for f in s["files"]] == [
        ("射洪市/市文明办/volunteer/2022年5月.csv", "accepted", 1, 1), ("射洪市/市文明办/volunteer/空.csv", "refused", 0, 0)]
    assert s["kinds"] == {"volunteer": {"loaded": 1, "quarantined": 1}}
    assert s["marts"] == {} and s["quality"] is None
    text = render(s)
    assert "Files: 1 accepted, 1 refused, 0 duplicate (already loaded)" in text
    assert "[refused  ] 射洪市/市文明办/volunteer/空.csv — empty_file:" in text
    assert "(no published warehouse yet)" in text


def test_the_last_audit_is_in_the_summary(tmp_path):
    paths = _home(tmp_path)
    (paths.home / "quality").mkdir(exist_ok=True)
    (paths.home / "quality" / "latest_audit.json").write_text(json.dumps(
        {"run_id": "w1", "success": False, "expectations": 106, "failed": ["fct_volunteer_hours: x"],
         "data_docs": "/d/index.html"}), encoding="utf-8")
    text = render(summarise(paths))
    assert "Quality audit (run w1): 106 expectations, FAILED, nothing published: fct_volunteer_hours: x" in text
    assert "GX Data Docs: /d/index.html" in text


def test_the_command_line_prints_it_as_json(tmp_path):
    _home(tmp_path)
    out = subprocess.run([sys.executable, "-m", "flows", "--home", str(tmp_path), "summary", "--json"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["kinds"] == {"volunteer": {"loaded": 1, "quarantined": 1}}
