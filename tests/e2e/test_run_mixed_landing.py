"""One `make run` over a landing that mixes the demo's good files with a file of each hostile class
(links, long names, identical bytes from two departments, a cut-off last line, a file still being
written, a multi-GB file, a value no rule expected, the corpus's refused files, and a file that
passes ingest but breaks the marts' daily 24-hour rule with another department's): the run exits
0, each hostile file ends with its exact outcome, the last one is held back (status, receipt,
notice), and the good files' figures are published."""
from __future__ import annotations

import os
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.demo import generate
from ingest.files.safety import display_name
from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.corpus import CASES, files as F

pytestmark = pytest.mark.slow
D = Decimal


def _vol(n: int, day: str, hours: float) -> list:
    return [f"志愿者{n}", F.person_id(n, "510998"), "13912345678", "青年队", "文明实践", "文明交通", day, hours]


SAME = F.csv_bytes([F.VOL_HEADER, _vol(1, "2022/9/3", 2), _vol(2, "2022/9/4", 3)])
LONG = "毕节市团市委关于" + "志愿服务" * 18 + "2022年9月.csv"          # 255 bytes
NAN_JSON = ('{"城市": "寿光市", "records": [{"志愿者姓名": "甲", "身份证号": "%s", "活动名称": "文明实践",'
            ' "服务日期": "2022-09-05", "服务时长(小时)": NaN}]}' % F.person_id(9, "510998")).encode()
MINE = {  # landing path -> (status, reason, rows loaded)
    "射洪市/市文明办/volunteer/2022年9月志愿服务.csv": ("accepted", None, 2),
    "射洪市/教育局/volunteer/2022年9月志愿服务.csv": ("accepted", None, 2),      # the same bytes: its own
    "格尔木市/市文明办/volunteer/2022年9月志愿服务.csv": ("accepted", None, 2),
    "射洪市/团市委/volunteer/2022年9月志愿服务.csv": ("refused", "not_regular_file", 0),  # a link to 格尔木市's
    f"毕节市/团市委/volunteer/{LONG}": ("accepted", None, 2),
    "寿光市/市文明办/volunteer/2022年9月志愿服务.csv": ("accepted", None, 1),     # last line cut: 1 quarantined
    "寿光市/团市委/volunteer/2022年10月志愿服务.csv": ("refused", "file_too_large", 0),
}
IN_FLIGHT = "毕节市/市文明办/volunteer/2022年9月志愿服务.csv"
# volunteer 3 of 格尔木市/市文明办's file again, on the same day: 2 + 23 h. Loaded last (newest): held back.
HELD = "格尔木市/新时代文明实践中心/volunteer/2022年9月志愿服务.csv"
NAN = "寿光市/教育局/volunteer/2022年9月志愿服务.json"


def _land(landing: Path) -> list:
    for rel in list(MINE)[:3]:
        F.put(landing, rel, SAME if "格尔木市" not in rel else F.csv_bytes([F.VOL_HEADER, _vol(3, "2022/9/3", 2),
                                                                               _vol(4, "2022/9/4", 3)]))
    link = landing / "射洪市/团市委/volunteer/2022年9月志愿服务.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(landing / "格尔木市/市文明办/volunteer/2022年9月志愿服务.csv")
    F.put(landing, f"毕节市/团市委/volunteer/{LONG}", F.csv_bytes([F.VOL_HEADER, _vol(5, "2022/9/3", 2),
                                                                   _vol(6, "2022/9/4", 3)]))
    cut = F.csv_bytes([F.VOL_HEADER, _vol(7, "2022/9/3", 2), _vol(8, "2022/9/4", 12)])
    F.put(landing, "寿光市/市文明办/volunteer/2022年9月志愿服务.csv", cut[:-3])
    big = landing / "寿光市/团市委/volunteer/2022年10月志愿服务.csv"
    big.parent.mkdir(parents=True, exist_ok=True)
    with open(big, "wb") as f:
        f.truncate(3 * 2**30)
    F.put(landing, NAN, NAN_JSON)
    refused = [c for c in CASES if c.shared and c.status == "refused"     # outcomes that hold on any day
               and c.reason not in ("period_in_future", "annual_in_progress")]
    for c in refused:
        assert c.rel not in MINE and c.rel not in (IN_FLIGHT, NAN, HELD)
        c.build(landing, c.rel)
    return refused


def test_good_files_publish_whatever_else_is_in_landing(tmp_path, webhook):
    landing = tmp_path / "landing"
    manifest = generate(landing)
    refused = _land(landing)
    old = time.time() - 3600
    for p in landing.rglob("*"):
        if not p.is_dir():
            os.utime(p, (old, old), follow_symlinks=False)      # everything arrived an hour ago ...
    F.put(landing, HELD, F.csv_bytes([F.VOL_HEADER, _vol(3, "2022/9/3", 23)]))
    os.utime(landing / HELD, (old + 60, old + 60))              # ... this one a minute later
    F.put(landing, IN_FLIGHT, F.csv_bytes([F.VOL_HEADER, _vol(10, "2022/9/3", 2)]))   # ... but this one
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(tmp_path), CAMPAIGN_HASH_KEY=TEST_HASH_KEY, CAMPAIGN_SETTLE_SECONDS="600",
               CAMPAIGN_NOTIFY_WEBHOOK=webhook.url)
    proc = subprocess.run([str(REPO / "scripts" / "run_pipeline.sh")], env=env, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    raw, published = tmp_path / "warehouse" / "raw.duckdb", tmp_path / "warehouse" / "campaign.duckdb"
    ledger = {f: (s, r, n) for f, s, r, n in query(raw, "select source_file, status, reason_code, rows_loaded "
                                                        "from file_ledger")}
    for rel, outcome in MINE.items():
        assert ledger[rel] == outcome, rel
    assert ledger[NAN][:2] == ("refused", "no_valid_rows")     # its one row quarantined: a NaN is no number
    assert ledger[NAN][2] == 0
    for c in refused:
        assert ledger[display_name(c.rel)][:2] == ("refused", c.reason), c.name
    for f in manifest["files"]:
        assert ledger[f["path"]][:2] == (f["status"], f["reason"]), f["path"]
    assert IN_FLIGHT not in ledger and (landing / IN_FLIGHT).exists()          # left for the next run

    for key, exp in manifest["expected"].items():                              # the demo's figures, published
        city, kind, month = key.split("|")
        if kind == "volunteer":
            got = query(published, """select count(*), sum(hours) from marts.fct_volunteer_hours
                                      where city = ? and period_month = cast(? as date)""", [city, f"{month}-01"])
            assert got == [(exp["records"], D(exp["hours"]))], key
        elif kind == "investment":
            got = query(published, """select count(*), sum(planned_amount_yuan) from marts.fct_investment
                                      where city = ? and period_month = cast(? as date)""", [city, f"{month}-01"])
            assert got == [(exp["projects"], D(exp["planned_yuan"]))], key
    got = query(published, """select city, department_code, count(*), sum(hours) from marts.fct_volunteer_hours
                              where period_month = date '2022-09-01' group by all order by all""")
    assert got == [("寿光市", "shouguang_wmb", 1, D("2.00")), ("射洪市", "shehong_jyj", 2, D("5.00")),
                   ("射洪市", "shehong_wmb", 2, D("5.00")), ("格尔木市", "golmud_wmb", 2, D("5.00")),
                   ("毕节市", "bijie_tsw", 2, D("5.00"))]

    # the file that broke the daily rule: accepted by ingest, held back by the audit, the rest published
    assert ledger[HELD] == ("accepted", None, 1)
    [(sid, expectations, reason_zh)] = query(raw, "select submission_id, expectations, reason_zh from held_submissions")
    assert expectations == "fct_volunteer_hours_daily: expect_column_values_to_be_between(daily_hours)"
    assert reason_zh.endswith("(共 1 处,如:当天合计(小时) 25,服务日期 2022-09-03,涉及单位 golmud_wmb,golmud_wmsj)")
    assert query(published, """select status, held_reason_zh from marts.mart_submission_status where city = '格尔木市'
                               and department_code = 'golmud_wmsj' and kind = 'volunteer'
                               and period_month = date '2022-09-01'""") == [("held_back", reason_zh)]
    [note] = (tmp_path / "receipts" / "格尔木市" / "新时代文明实践中心" / "volunteer").glob(f"*-{sid}-held.txt")
    assert "暂缓发布" in note.read_text(encoding="utf-8") and reason_zh in note.read_text(encoding="utf-8")
    held = [b for b in webhook.events("submissions_late_missing") if b["details"].get("held_back")]
    assert len(held) == 1 and f"格尔木市新时代文明实践中心 志愿服务记录 暂缓发布:{reason_zh}" in held[0]["text"]
    assert f"[held_back] {HELD} ({sid})" in proc.stdout
