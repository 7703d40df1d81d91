"""Files in flight: only settled files are taken; the bytes hashed are the bytes parsed (a file
rewritten while it is read is refused and stays in landing, one replaced after it was read stays
for the next run); a last record without its line end is quarantined, not loaded cut short."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ingest import config, pipeline
from ingest.raw import load
from ingest.pipeline import ingest_file
from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.corpus import TODAY, files as F


def _row(n: int, day: str = "2022/5/3", hours: float = 2) -> list:
    return [f"志愿者{n}", F.person_id(n % 1000 + 1), "13812345678", "青年队", "文明交通劝导", "文明交通", day, hours]


def _raw(home: Path, sql: str) -> list[tuple]:
    return query(home / "warehouse" / "raw.duckdb", sql)


def test_only_files_settled_for_the_settle_time_are_taken(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    old, new = "射洪市/市文明办/volunteer/2022年5月.csv", "射洪市/市文明办/volunteer/2022年6月.csv"
    F.put(landing, old, F.csv_bytes([F.VOL_HEADER, _row(1)]))
    F.put(landing, new, F.csv_bytes([F.VOL_HEADER, _row(2, "2022/6/3")]))
    stamp = time.time() - 120
    os.utime(landing / old, (stamp, stamp))
    assert pipeline.waiting(landing, settle=60) == ([old], [new])
    assert pipeline.waiting(landing, settle=0) == ([old, new], [])
    env = {**os.environ, "CAMPAIGN_SETTLE_SECONDS": "60", "CAMPAIGN_HASH_KEY": TEST_HASH_KEY}
    proc = subprocess.run([sys.executable, "-m", "ingest", "--home", str(tmp_path), "load", "--json"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1 file(s) changed in the last 60 s" in proc.stderr
    assert _raw(tmp_path, "select source_file, status from file_ledger") == [(old, "accepted")]
    assert (landing / new).exists() and not (landing / old).exists()


def test_a_file_rewritten_while_it_is_read_is_refused_then_loads_whole(tmp_path):
    """A writer appends to the file all the time ingest reads it: the reading sees the size move,
    so nothing of it loads and it stays in landing; once the writer is done it loads whole, under
    the hash of its whole bytes."""
    rel = "射洪市/市文明办/volunteer/2022年5月.csv"
    path = tmp_path / "landing" / rel
    F.put(tmp_path / "landing", rel, F.csv_bytes([F.VOL_HEADER] + [_row(n, f"2022/5/{n % 28 + 1}", 0.5)
                                                                  for n in range(1, 60_001)]))
    stop, started = threading.Event(), threading.Event()
    rows = iter(range(60_001, 10**9))

    def writer() -> None:
        with open(path, "ab") as f:
            while not stop.is_set():
                f.write(F.csv_bytes([_row(next(rows), "2022/5/29", 0.5)])[3:])   # without the BOM
                f.flush()
                started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait()
    try:
        r = ingest_file(rel, tmp_path, today=TODAY)
    finally:
        stop.set()
        thread.join()
    assert (r.status, r.reason_code) == ("refused", "file_changed_while_reading"), r.text()
    assert path.exists() and r.archived_path is None
    assert _raw(tmp_path, "select count(*) from raw_volunteer") == [(0,)]
    whole = hashlib.sha256(path.read_bytes()).hexdigest()
    lines = path.read_bytes().count(b"\n") - 1
    again = ingest_file(rel, tmp_path, today=TODAY)
    assert again.status == "accepted", again.text()
    assert again.content_sha256 == whole and again.rows_in == lines
    assert _raw(tmp_path, "select count(*) from raw_volunteer") == [(again.rows_loaded,)]


def test_a_file_replaced_after_it_was_read_stays_for_the_next_run(tmp_path):
    """The archive holds exactly the bytes that were hashed and loaded; the new version that
    arrived meanwhile is not lost, nor refused as a duplicate: it loads as a resubmission."""
    rel = "射洪市/市文明办/volunteer/2022年5月.csv"
    first, second = F.csv_bytes([F.VOL_HEADER, _row(1)]), F.csv_bytes([F.VOL_HEADER, _row(1), _row(2)])
    F.put(tmp_path / "landing", rel, first)
    paths = config.paths(tmp_path)
    con = load.connect(paths.raw_db)
    try:
        staged = pipeline.begin(rel, paths, "t", TODAY, con)
        tmp = tmp_path / "landing" / (rel + ".part")
        tmp.write_bytes(second)
        os.replace(tmp, tmp_path / "landing" / rel)          # the department saves a new version
        r = pipeline.complete(staged, paths, TODAY)
    finally:
        con.close()
    assert r.status == "accepted" and r.rows_loaded == 1
    assert (tmp_path / r.archived_path).read_bytes() == first
    assert r.content_sha256 == hashlib.sha256(first).hexdigest()
    assert (tmp_path / "landing" / rel).read_bytes() == second
    newer = ingest_file(rel, tmp_path, today=TODAY)
    assert (newer.status, newer.rows_loaded, newer.supersedes) == ("accepted", 2, [r.submission_id])


def test_a_last_record_without_its_line_end_is_quarantined(tmp_path):
    rel = "射洪市/市文明办/volunteer/2022年5月.csv"
    data = F.csv_bytes([F.VOL_HEADER, _row(1), _row(2), _row(3, hours=12)])
    F.put(tmp_path / "landing", rel, data[:-len("2\r\n")])      # cut inside the last record: 12 h read as 1 h
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("accepted", 3, 2, 1), r.text()
    assert [(q.row, q.reason_code) for q in r.rejected] == [(4, "truncated_record")]
    assert "换行符" in r.text()
    assert _raw(tmp_path, "select row_number from raw_volunteer order by 1") == [(2,), (3,)]
    assert _raw(tmp_path, "select row_number, reason_code from quarantine") == [(4, "truncated_record")]


def test_a_last_line_without_line_end_that_is_not_data_changes_nothing(tmp_path):
    rel = "射洪市/市文明办/volunteer/2022年5月.csv"
    data = F.csv_bytes([F.VOL_HEADER, _row(1), _row(2), ["填表人:张三"]])
    F.put(tmp_path / "landing", rel, data.rstrip(b"\r\n"))
    r = ingest_file(rel, tmp_path, today=dt.date(2026, 1, 1))
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("accepted", 2, 2, 0), r.text()
