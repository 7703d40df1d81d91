"""The blast radius of one bad file is that file: a file ingest fails on (a value no rule expected)
gets a receipt and a reason, the batch's other files load, the DAG task does not fail, and no log
line repeats a personal number from it."""
from __future__ import annotations

import logging

import pytest

from flows.ingest_steps import load_batch, report
from ingest import pipeline
from tests.conftest import query
from tests.corpus import files as F

ID = F.person_id(9, "510998")
NAN_JSON = ('{"城市": "射洪市", "records": [{"志愿者姓名": "甲", "身份证号": "%s", "活动名称": "文明实践",'
            ' "服务日期": "2022-06-05", "服务时长(小时)": NaN}]}' % ID).encode()
GOOD = [F.VOL_HEADER, ["王小明", F.person_id(1), "13812345678", "青年队", "文明交通劝导", "文明交通", "2022/5/3", 2]]
FILES = ["射洪市/市文明办/volunteer/2022年5月.csv", "射洪市/市文明办/volunteer/2022年6月.json",
         "射洪市/教育局/volunteer/2022年5月.csv"]


@pytest.mark.parametrize("fault", [None, "unforeseen"])
def test_a_file_ingest_fails_on_is_refused_and_the_others_load(tmp_path, caplog, monkeypatch, fault):
    if fault:       # a fault no rule foresaw, raised while the JSON file is staged (its message quotes the ID)
        stage = pipeline.stage_file

        def failing(con, rel, *args, **kw):
            if rel.endswith(".json"):
                raise RuntimeError(f"unexpected {ID}")
            return stage(con, rel, *args, **kw)
        monkeypatch.setattr(pipeline, "stage_file", failing)
    landing = tmp_path / "landing"
    F.put(landing, FILES[0], F.csv_bytes(GOOD))
    F.put(landing, FILES[1], NAN_JSON)
    F.put(landing, FILES[2], F.csv_bytes(GOOD))
    batch = {"label": "three", "files": [{"rel": rel, "n": n, "of": 3} for n, rel in enumerate(FILES, 1)]}
    kept: list = []
    with caplog.at_level(logging.INFO):
        results = load_batch(batch, tmp_path, "run-1", kept.extend)       # does not raise
    outcome = {r["file"]: (r["status"], r["reason"], r["loaded"]) for r in results}
    assert outcome[FILES[0]] == outcome[FILES[2]] == ("accepted", None, 1)
    # a NaN is quarantined by the hours rule (its file has no other row); an unforeseen fault refuses the file
    assert outcome[FILES[1]] == (("refused", "ingest_failed", 0) if fault else ("refused", "no_valid_rows", 0))
    assert results == kept and all(r["receipt"] for r in results)
    assert not [p for p in landing.rglob("*") if p.is_file()]
    assert query(tmp_path / "warehouse" / "raw.duckdb", "select count(*) from file_ledger") == [(3,)]
    summary = report([batch], results, "run-1", {})
    assert summary["failed"] == [] and summary["counts"]["accepted"] == 2
    assert ID not in caplog.text
