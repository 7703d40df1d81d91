"""Who sent a file is part of what it is: identical bytes from two departments are two submissions;
only regular files in landing are read (a link files someone else's data under this path); a legal
but long file name is handled before anything is committed."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ingest.pipeline import ingest_file
from tests.conftest import query
from tests.corpus import TODAY, files as F

ROWS = [F.VOL_HEADER, ["王小明", F.person_id(1), "13812345678", "青年队", "文明交通劝导", "文明交通", "2022/5/3", 2],
        ["李四", F.person_id(2), "13812345678", "青年队", "文明交通劝导", "文明交通", "2022/5/4", 3.5]]
DATA = F.csv_bytes(ROWS)


def _raw(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    return query(home / "warehouse" / "raw.duckdb", sql, params)


def test_same_bytes_from_two_departments_are_two_submissions(tmp_path):
    first, second = "射洪市/市文明办/volunteer/2022年5月.csv", "射洪市/教育局/volunteer/2022年5月.csv"
    for rel in (first, second):
        F.put(tmp_path / "landing", rel, DATA)
    a, b = (ingest_file(rel, tmp_path, today=TODAY) for rel in (first, second))
    assert (a.status, b.status) == ("accepted", "accepted"), b.text()
    assert a.submission_id != b.submission_id and a.content_sha256 == b.content_sha256
    assert _raw(tmp_path, "select department_code, rows_loaded from submissions order by 1") == [
        ("shehong_jyj", 2), ("shehong_wmb", 2)]
    assert _raw(tmp_path, "select department_code, count(*) from raw_volunteer group by 1 order by 1") == [
        ("shehong_jyj", 2), ("shehong_wmb", 2)]
    # the same bytes again from the same department, under another name: a duplicate of its own
    F.put(tmp_path / "landing", "射洪市/教育局/volunteer/重发.csv", DATA)
    again = ingest_file("射洪市/教育局/volunteer/重发.csv", tmp_path, today=TODAY)
    assert (again.status, again.submission_id) == ("duplicate", b.submission_id)
    assert "本单位" in again.text()
    assert _raw(tmp_path, "select count(*) from submissions") == [(2,)]


def _other_city_file(landing: Path) -> Path:
    rel = "格尔木市/市文明办/volunteer/2022年5月.csv"
    F.put(landing, rel, DATA)
    return landing / rel


def test_a_link_to_another_departments_file_is_refused(tmp_path):
    landing = tmp_path / "landing"
    target = _other_city_file(landing)
    link = landing / "射洪市/市文明办/volunteer/2022年5月.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    r = ingest_file("射洪市/市文明办/volunteer/2022年5月.csv", tmp_path, today=TODAY)
    assert (r.status, r.reason_code) == ("refused", "not_regular_file"), r.text()
    assert "链接" in r.text()
    assert _raw(tmp_path, "select count(*) from raw_volunteer") == [(0,)]
    assert os.path.islink(tmp_path / r.archived_path) and not os.path.lexists(link)  # the link archived as a link
    assert target.read_bytes() == DATA                                                # its target untouched
    mine = ingest_file("格尔木市/市文明办/volunteer/2022年5月.csv", tmp_path, today=TODAY)
    assert mine.status == "accepted"
    assert _raw(tmp_path, "select distinct city from raw_volunteer") == [("格尔木市",)]


def test_a_file_reached_through_a_linked_folder_is_refused_and_left_alone(tmp_path):
    landing = tmp_path / "landing"
    target = _other_city_file(landing)
    (landing / "射洪市").mkdir()
    (landing / "射洪市" / "市文明办").symlink_to(landing / "格尔木市" / "市文明办")
    r = ingest_file("射洪市/市文明办/volunteer/2022年5月.csv", tmp_path, today=TODAY)
    assert (r.status, r.reason_code) == ("refused", "not_regular_file"), r.text()
    assert r.archived_path is None and target.read_bytes() == DATA   # moving it would move 格尔木市's file
    assert _raw(tmp_path, "select count(*) from submissions") == [(0,)]


def test_a_long_file_name_is_archived_with_its_receipt_and_loads_once(tmp_path):
    name = "射洪市文明办关于" + "志愿服务" * 18 + "2022年5月.csv"        # 255 bytes: the longest legal name
    assert 240 <= len(name.encode()) <= 255
    rel = f"射洪市/市文明办/volunteer/{name}"
    F.put(tmp_path / "landing", rel, DATA)
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert r.status == "accepted", r.text()
    archived = tmp_path / r.archived_path
    assert archived.is_file() and len(archived.name.encode()) <= 255 and archived.name.endswith(".csv")
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == r.content_sha256
    assert not (tmp_path / "landing" / rel).exists()
    assert len(list((tmp_path / "receipts").rglob("*.json"))) == 1
    assert _raw(tmp_path, "select status, source_file from file_ledger") == [("accepted", rel)]
