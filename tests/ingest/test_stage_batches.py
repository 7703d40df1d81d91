"""The stage takes a file's parsed chunks in batches (ingest.raw.load.STAGE_ROWS): however the
rows are batched, the same rows load and the same rows are refused for the same reasons, rules
across rows (a volunteer's hours per day) included."""
from __future__ import annotations

import datetime as dt

import duckdb

from ingest.pipeline import ingest_file
from ingest.raw import load
from ingest.readers import native_csv
from tests.corpus import files as F

REL = "射洪市/市文明办/volunteer/2022年5月.csv"
TODAY = dt.date(2026, 1, 1)


def _rows() -> list[list]:
    """6,000 records of 40 volunteers over May: each volunteer-day holds three records, 9 h each on
    every seventh day (27 h: refused), else 2 h; every 97th record has a bad ID number."""
    rows = []
    for n in range(6000):
        volunteer, day = n % 40, (n // 120) % 31 + 1
        id_number = F.person_id(volunteer) if n % 97 else F.person_id(volunteer)[:-1] + "0"
        rows.append([f"志{volunteer}", id_number, "13812345678", "青年队", "劝导", "文明交通", f"2022/5/{day}",
                     9 if day % 7 == 0 else 2])
    return rows


def _outcome(home, monkeypatch, stage_rows: int) -> tuple:
    monkeypatch.setattr(load, "STAGE_ROWS", stage_rows)
    monkeypatch.setattr(native_csv, "BATCH_ROWS", 2048)       # three chunks from the reader
    F.put(home / "landing", REL, F.csv_bytes([F.VOL_HEADER] + _rows()))
    r = ingest_file(REL, home, today=TODAY)
    with duckdb.connect(str(home / "warehouse/raw.duckdb"), read_only=True) as con:
        loaded = con.execute("""select row_number, volunteer_key, masked_name, service_date, hours
                                from raw_volunteer order by row_number""").fetchall()
        refused = con.execute("select row_number, field, value, reason_code from quarantine order by all").fetchall()
    return r.status, r.rows_loaded, r.rows_quarantined, loaded, refused


def test_batches_of_any_size_stage_the_same_rows(tmp_path, monkeypatch):
    whole = _outcome(tmp_path / "whole", monkeypatch, 10_000_000)
    batched = _outcome(tmp_path / "batched", monkeypatch, 1)          # every chunk its own insert
    assert batched == whole
    status, loaded, refused, rows, reasons = whole
    assert status == "accepted" and loaded + refused == 6000 and len(rows) == loaded
    assert {code for *_, code in reasons} == {"bad_id_number", "daily_hours_exceeded"}
