"""`make run` writes demo data only into a fresh home, and "nothing new" means nothing since the last
publish: two runs in a row on a home whose landing the first emptied change no mart and add no demo
file; a run after one that ingested but never published (a crash) builds and publishes what it
ingested."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_HASH_KEY, query, run_pipeline
from tests.corpus import files as F

pytestmark = pytest.mark.slow


def _state(home: Path) -> dict:
    published = home / "warehouse" / "campaign.duckdb"
    return {"published": (hashlib.sha256(published.read_bytes()).hexdigest(), published.stat().st_mtime_ns),
            "archive": sorted(p.relative_to(home).as_posix() for p in (home / "archive").rglob("*") if p.is_file()),
            "landing": sorted(p.name for p in (home / "landing").rglob("*") if not p.is_dir()),
            "ledger": query(home / "warehouse" / "raw.duckdb", "select count(*) from file_ledger"),
            "site": (home / "site" / "index.html").stat().st_mtime_ns}


def test_demo_only_in_a_fresh_home_and_nothing_new_touches_nothing(tmp_path):
    first = run_pipeline(tmp_path).stdout
    assert "writing the demo submissions" in first
    after_first = _state(tmp_path)
    assert after_first["landing"] == [] and after_first["archive"]

    second = run_pipeline(tmp_path).stdout
    assert "writing the demo" not in second
    assert "nothing new: no file ready in landing/ and every submission in raw is published" in second
    assert _state(tmp_path) == after_first              # no mart, no archive, no ledger row, no page touched

    # A run that ingested and stopped before publishing (here: the CLI alone): landing is empty
    # again, yet the next run builds and publishes what it loaded.
    rel = "射洪市/市文明办/volunteer/2023年1月.csv"
    F.put(tmp_path / "landing", rel, F.csv_bytes([F.VOL_HEADER, ["赵六", F.person_id(7, "510999"), "13912345678",
                                                                 "青年队", "文明交通劝导", "文明交通", "2023/1/5", 3]]))
    env = {**os.environ, "CAMPAIGN_HASH_KEY": TEST_HASH_KEY, "CAMPAIGN_SETTLE_SECONDS": "0"}
    subprocess.run([sys.executable, "-m", "ingest", "--home", str(tmp_path), "load"], cwd=REPO, env=env,
                   check=True, capture_output=True, timeout=300)
    third = run_pipeline(tmp_path).stdout
    assert "raw holds submissions not yet published" in third and "writing the demo" not in third
    published = tmp_path / "warehouse" / "campaign.duckdb"
    assert query(published, """select count(*), sum(hours) from marts.fct_volunteer_hours
                               where city = '射洪市' and service_date = date '2023-01-05'""") == [(1, 3)]
    after_third = _state(tmp_path)
    assert after_third["published"] != after_first["published"]

    fourth = run_pipeline(tmp_path).stdout
    assert "nothing new" in fourth
    assert _state(tmp_path) == after_third

    # A file in landing that brings nothing new (a copy of one already loaded): ingest records the
    # duplicate, the warehouse run skips every step, no mart is touched.
    copy = tmp_path / "landing" / "射洪市/市文明办/volunteer/重发.csv"
    copy.write_bytes(next(p for p in (tmp_path / "archive").rglob("*2023年1月.csv")).read_bytes())
    fifth = run_pipeline(tmp_path).stdout
    assert "1 file(s) waiting in landing" in fifth
    assert query(tmp_path / "warehouse" / "raw.duckdb", "select status from file_ledger where source_file = ?",
                 ["射洪市/市文明办/volunteer/重发.csv"]) == [("duplicate",)]
    after_fifth = _state(tmp_path)
    assert after_fifth["published"] == after_third["published"] and after_fifth["site"] == after_third["site"]
