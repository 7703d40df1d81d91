"""`python -m ingest load PATH... [--json]`: receipts for every file, exit 0 on refusals, non-zero
only on operational failure; the scale generator's export streams through as monthly parts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingest.demo.scale import scale
from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.corpus import files as F

GOOD = "射洪市/市文明办/volunteer/2022年5月.csv"
BAD = "射洪市/市文明办/volunteer/联系人.csv"


def _run(home: Path, *args: str, key: str | None = TEST_HASH_KEY) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env["CAMPAIGN_SETTLE_SECONDS"] = "0"
    if key:
        env["CAMPAIGN_HASH_KEY"] = key
    return subprocess.run([sys.executable, "-m", "ingest", "--home", str(home), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _land(home: Path) -> None:
    F.put(home / "landing", GOOD, F.csv_bytes([F.VOL_HEADER, ["王五", F.person_id(1), "13812345678", "队", "劝导",
                                                              "文明劝导", "2022-05-02", "2"]]))
    F.put(home / "landing", BAD, F.csv_bytes([["姓名", "电话"], ["张三", "13800000000"]]))


def test_load_prints_json_receipts_and_exits_zero_on_refusals(tmp_path):
    _land(tmp_path)
    proc = _run(tmp_path, "load", GOOD, str(tmp_path / "landing" / BAD), "--json")
    assert proc.returncode == 0, proc.stderr
    receipts = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["source_file"], r["status"], r["reason_code"]) for r in receipts] == [
        (GOOD, "accepted", None), (BAD, "refused", "unknown_kind")]
    assert "13800000000" not in proc.stdout and F.person_id(1) not in proc.stdout


def test_text_receipts_for_everything_waiting(tmp_path):
    _land(tmp_path)
    proc = _run(tmp_path, "load")
    assert proc.returncode == 0, proc.stderr
    assert "文件《2022年5月.csv》:已接收" in proc.stdout and "文件《联系人.csv》:已退回" in proc.stdout


def test_missing_key_is_an_operational_failure(tmp_path):
    _land(tmp_path)
    proc = _run(tmp_path, "load", GOOD, key=None)
    assert proc.returncode == 2 and "CAMPAIGN_HASH_KEY" in proc.stderr
    assert (tmp_path / "landing" / GOOD).exists(), "nothing was consumed"


def test_missing_path_fails_but_the_others_still_load(tmp_path):
    _land(tmp_path)
    proc = _run(tmp_path, "load", "射洪市/市文明办/volunteer/没有这个文件.csv", GOOD)
    assert proc.returncode == 2 and "没有这个文件" in proc.stderr
    assert "已接收" in proc.stdout


def test_traversal_argument_is_refused_and_outside_untouched(tmp_path):
    _land(tmp_path)
    outside = tmp_path / "secret.csv"
    outside.write_bytes((tmp_path / "landing" / GOOD).read_bytes())
    proc = _run(tmp_path, "load", "../secret.csv", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reason_code"] == "unsafe_file_name" and outside.exists()


def test_scale_export_streams_into_monthly_parts(tmp_path):
    info = scale(tmp_path / "landing", rows=3_000)
    proc = _run(tmp_path, "load", "--json")
    assert proc.returncode == 0, proc.stderr
    receipt = json.loads(proc.stdout)
    assert (receipt["status"], receipt["rows_in"], receipt["rows_loaded"]) == ("accepted", 3_000, 3_000)
    assert receipt["period_label"] == "2021年度" and len(receipt["parts"]) == 12
    raw = tmp_path / "warehouse" / "raw.duckdb"
    assert query(raw, "select count(*), sum(hours), count(distinct period_month) from raw_volunteer") == [
        (3_000, info["hours"], 12)]
    assert query(raw, "select sum(rows_loaded) from submissions") == [(3_000,)]
