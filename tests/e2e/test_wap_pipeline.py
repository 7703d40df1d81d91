"""Write-audit-publish end to end, with real processes on a real $CAMPAIGN_HOME:

1. two submissions that each pass the submission gate but together break a mart rule (one
   volunteer, one day, 28 hours across two files) fail the warehouse run when holding
   submissions back is turned off (CAMPAIGN_AUDIT_HOLD_MAX=0; by default the newer one would be
   held back: tests/flows/test_audit_holdback.py): the published file stays byte-identical, the
   log names the failed expectation, the quality store, Data Docs and the run summary keep the
   result;
2. the corrected submission goes through a whole `make run` (Airflow) while reader processes
   query the published file: the run succeeds, every answer is the old marts or the new;
3. that run publishes the failed run's results in marts.mart_data_quality.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ingest.demo import generate
from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.marts import mart_fingerprints
from tests.warehouse.test_wap import fingerprint, start_readers, stop_readers

pytestmark = pytest.mark.slow

CITY = "毕节市"
VOL_HEADER = "志愿者姓名,身份证号,联系电话,所属队伍,活动名称,服务类别,服务日期,服务时长(小时)"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    out.update(CAMPAIGN_HASH_KEY=TEST_HASH_KEY, CAMPAIGN_SETTLE_SECONDS="0")
    return out


def ingest(home: Path, run_id: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest", "--home", str(home), "load", "--run-id", run_id],
                          cwd=REPO, env=env(), capture_output=True, text=True, timeout=600, check=True)


def warehouse(home: Path, run_id: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warehouse.duck", "--home", str(home), "--run-id", run_id],
                          cwd=REPO, env={**env(), **extra}, capture_output=True, text=True, timeout=900)


def id_number(body17: str) -> str:
    """An ID number with a valid GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights)) % 11]


def volunteer_file(home: Path, department: str, name: str, hours: float) -> str:
    """One service record of the same volunteer on 2022-07-15, sent by `department`."""
    rel = f"{CITY}/{department}/volunteer/{name}"
    row = f"吴晓东,{id_number('52050219900101123')},13912345678,{department}队,文明交通劝导,文明交通,2022-07-15,{hours}"
    path = home / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join([VOL_HEADER, row]) + "\n").encode("utf-8-sig"))
    return rel


def demo_landing(home: Path, cities: set[str]) -> None:
    """The project's demo submissions of some cities only (a smaller, faster warehouse)."""
    src = Path(tempfile.mkdtemp(dir=home.parent))
    generate(src)
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if path.is_file() and rel.parts[0] in cities:
            (home / "landing" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, home / "landing" / rel)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bad_run_changes_nothing_then_a_fixed_run_publishes_under_readers(tmp_path):
    home = tmp_path / "home"
    demo_landing(home, {CITY})
    ingest(home, "ingest-1")
    first = warehouse(home, "wh-1")
    assert first.returncode == 0, first.stderr[-3000:]
    published = home / "warehouse" / "campaign.duckdb"
    before_sha, before_marts = sha256(published), mart_fingerprints(published)

    # 1. Each file is fine on its own (14 h): the submission gate accepts both. Together they
    #    break a mart rule: the run fails and the published warehouse stays byte-identical.
    volunteer_file(home, "团市委", "7月志愿服务时长统计.csv", 14)
    volunteer_file(home, "市文明办", "7月志愿服务记录.csv", 14)
    receipts = ingest(home, "ingest-2").stdout
    assert receipts.count("已接收") == 2 and receipts.count("退回 0 行") == 2, receipts

    failed = warehouse(home, "wh-2", CAMPAIGN_AUDIT_HOLD_MAX="0")
    assert failed.returncode == 1
    log = failed.stderr
    assert "fct_volunteer_hours_daily: expect_column_values_to_be_between(daily_hours): 1 of" in log
    line = next(ln for ln in log.splitlines() if "fct_volunteer_hours_daily: expect" in ln)
    assert "2022-07-15" in line and "bijie_tsw,bijie_wmb" in line  # the day and both departments
    assert "published warehouse unchanged" in log
    assert sha256(published) == before_sha and mart_fingerprints(published) == before_marts

    raw = home / "warehouse" / "raw.duckdb"
    assert query(raw, "select count(*) from held_submissions") == [(0,)]     # nothing held back
    stored = query(raw, """select suite, expectation, column_name, unexpected_count, action from quality_results
                           where gate = 'mart' and run_id = 'wh-2' and not success""")
    assert ("fct_volunteer_hours_daily", "expect_column_values_to_be_between", "daily_hours", 1,
            "blocked_publish") in stored
    latest = json.loads((home / "quality" / "latest_audit.json").read_text(encoding="utf-8"))
    assert latest["run_id"] == "wh-2" and not latest["success"]
    assert Path(latest["data_docs"]).is_file() and "wh-2" in latest["data_docs"]
    summary = subprocess.run([sys.executable, "-m", "flows", "--home", str(home), "summary"], cwd=REPO, env=env(),
                             capture_output=True, text=True, check=True).stdout
    assert "FAILED, nothing published: fct_volunteer_hours_daily: expect_column_values_to_be_between" in summary
    assert f"GX Data Docs: {latest['data_docs']}" in summary

    # 2. The department corrects its file; a whole `make run` (Airflow) publishes while two BI
    #    readers query the published file: every answer is the old marts or the new, whole.
    volunteer_file(home, "市文明办", "7月志愿服务记录(更正).csv", 8)
    old = fingerprint(published)
    procs, outs, stop = start_readers(published, tmp_path, pause=0.2)  # BI-like pace, leaves CPU to the run
    try:
        run = subprocess.run([str(REPO / "scripts" / "run_pipeline.sh")], env={**env(), "CAMPAIGN_HOME": str(home)},
                             capture_output=True, text=True, timeout=1200)
    finally:
        holder, reopener = stop_readers(procs, outs, stop)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    new = fingerprint(published)
    assert new != old and sha256(published) != before_sha
    for got in (holder, reopener):
        assert len(got) > 50 and all(a["ok"] for a in got), [a for a in got if not a["ok"]][:3]
        assert {tuple(a["fp"]) for a in got} <= {tuple(old), tuple(new)}, "a reader saw a partial state"
    assert {tuple(a["fp"]) for a in holder} == {tuple(old)}  # its open file stays the old one, whole
    assert tuple(reopener[-1]["fp"]) == tuple(new)

    # 3. The failed run's results are published with the next successful run.
    quality = query(published, """select run_id, success, action from marts.mart_data_quality
                                  where gate = 'mart' and suite = 'fct_volunteer_hours_daily'""")
    assert ("wh-1", True, "none") in quality and ("wh-2", False, "blocked_publish") in quality
    airflow_run = [q for q in quality if q[0] not in ("wh-1", "wh-2")]
    assert len(airflow_run) == 1 and airflow_run[0][1:] == (True, "none")  # the fixed run's own audit
    assert query(published, """select sum(hours) from marts.fct_volunteer_hours
                               where service_date = date '2022-07-15'""") == [(22,)]
    by_department = query(published, """select department_code, count(*) from marts.mart_data_quality
                                         where gate = 'submission' and kind = 'volunteer' and city = ?
                                         group by department_code""", [CITY])
    assert len(by_department) == 2 and all(n > 0 for _, n in by_department)
    assert "Quality audit (run manual__" in run.stdout and "passed" in run.stdout
