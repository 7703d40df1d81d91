"""campaign_ingest's batches, without Airflow: how discover packs the waiting files, and how
load_batch keeps every file's result when one file of the batch fails — for good (the batch
fails naming it, its other files still load) or transiently (a real DuckDB lock: the batch stops,
and its retry loads the rest without loading a finished file twice)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import pipeline
from ingest.demo import generate
from ingest.errors import FilesFailed, TransientError
from ingest.faults import is_transient
from ingest.slices import Slice
from flows.ingest_steps import discover, files_of, load_batch, plan_batches
from tests.conftest import query

GOLMUD = ["格尔木市/市发改委/investment/2022年4月创建项目投资台账.xlsx",
          "格尔木市/市发改委/investment/2022年5月创建项目投资台账.xlsx",
          "格尔木市/市文明办/volunteer/5月志愿服务记录.csv",
          "格尔木市/市城管局/issue/export_20220604.json"]
NOT_A_SUBMISSION = "射洪市/市文明办/volunteer/联系人名单.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


def landing_with(home: Path, demo: Path, rels: list[str]) -> None:
    """Copy demo files into home's landing, arriving in the order given."""
    for n, rel in enumerate(rels):
        (home / "landing" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo / rel, home / "landing" / rel)
        os.utime(home / "landing" / rel, (1_700_000_000 + n, 1_700_000_000 + n))


def write(landing: Path, rel: str, size: int) -> str:
    (landing / rel).parent.mkdir(parents=True, exist_ok=True)
    (landing / rel).write_bytes(b"x" * size)
    return rel


def test_batches_keep_a_departments_kind_together_in_arrival_order(tmp_path):
    landing = tmp_path / "landing"
    a = [write(landing, f"格尔木市/市发改委/investment/{m}.csv", 10) for m in (4, 5, 6)]
    b = [write(landing, f"寿光市/团市委/volunteer/{m}.csv", 10) for m in (4, 5)]
    c = write(landing, "毕节市/市住建局/investment/4.csv", 10)
    arrival = [a[0], b[0], c, a[1], b[1], a[2]]
    assert plan_batches(arrival, landing, 4, 10**6) == [a, b + [c]]          # 3 + 2 would exceed 4 files
    assert plan_batches(arrival, landing, 50, 10**6) == [a + b + [c]]
    assert plan_batches(arrival, landing, 2, 10**6) == [a[:2], [a[2]], b, [c]]  # a group larger than a batch: in order
    # the alias 发改委 names the same department as 市发改委: the same group
    alias = write(landing, "格尔木市/发改委/investment/7.csv", 10)
    assert plan_batches([a[0], c, alias], landing, 2, 10**6) == [[a[0], alias], [c]]


def test_a_byte_budget_bounds_a_batch_and_a_large_file_goes_alone(tmp_path):
    landing = tmp_path / "landing"
    small = [write(landing, f"格尔木市/团市委/volunteer/{m}.csv", 300) for m in (4, 5)]
    big = write(landing, "寿光市/团市委/volunteer/export.csv", 5000)
    other = write(landing, "毕节市/团市委/volunteer/4.csv", 300)
    assert plan_batches(small + [big, other], landing, 50, 1000) == [small, [big], [other]]


def test_discover_numbers_files_in_loading_order_and_names_batches(tmp_path, demo, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INGEST_BATCH_FILES", "2")
    home = tmp_path / "home"
    landing_with(home, demo, [GOLMUD[0], GOLMUD[2], GOLMUD[1], GOLMUD[3]])
    batches = discover(home, Slice().to_dict())
    assert [[f["rel"] for f in b["files"]] for b in batches] == [GOLMUD[:2], GOLMUD[2:]]
    assert [(f["n"], f["of"]) for f in files_of(batches)] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert batches[0]["label"] == f"{GOLMUD[0]} .. {GOLMUD[1]} (2 files)"
    sliced = discover(home, Slice(city="格尔木市", month="2022-05").to_dict())   # the slice still decides
    assert [f["rel"] for f in files_of(sliced)] == [GOLMUD[2], GOLMUD[1], GOLMUD[3]]


def test_a_file_that_fails_for_good_does_not_lose_the_others(tmp_path, demo, monkeypatch):
    """No personal-data key: the submissions fail (ConfigError), the non-submission in the same
    batch is still refused with a receipt, and its result is handed on before the batch fails."""
    monkeypatch.delenv("CAMPAIGN_HASH_KEY", raising=False)
    monkeypatch.delenv("CAMPAIGN_DEMO", raising=False)
    home = tmp_path / "home"
    landing_with(home, demo, [GOLMUD[0], NOT_A_SUBMISSION, GOLMUD[2]])
    [batch] = discover(home, Slice().to_dict())
    kept: list[list[dict]] = []
    with pytest.raises(FilesFailed) as err:
        load_batch(batch, home, "run-1", kept.append)
    assert not is_transient(err.value)
    assert "2 of 3 file(s) failed" in str(err.value)
    assert f"{GOLMUD[0]}: ConfigError: CAMPAIGN_HASH_KEY" in str(err.value) and GOLMUD[2] in str(err.value)
    [[result]] = kept
    assert (result["file"], result["status"]) == (NOT_A_SUBMISSION, "refused") and Path(result["receipt"]).is_file()
    assert (home / "landing" / GOLMUD[0]).exists() and (home / "landing" / GOLMUD[2]).exists()


def test_a_batch_waits_for_the_raw_database_held_by_another_process(tmp_path, demo):
    """The batch loads its files on one connection: another process holding raw.duckdb when the
    batch starts is a transient fault (retried), and nothing is loaded or moved meanwhile."""
    home = tmp_path / "home"
    landing_with(home, demo, GOLMUD[:2])
    [batch] = discover(home, Slice().to_dict())
    (home / "warehouse").mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect("
                               f"{str(home / 'warehouse' / 'raw.duckdb')!r}); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    kept: list[list[dict]] = []
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TransientError) as err:
            load_batch(batch, home, "run-1", kept.append)
        assert is_transient(err.value)
    finally:
        holder.kill()
        holder.wait()
    assert kept == [[]]
    assert sorted(str(p.relative_to(home / "landing")) for p in (home / "landing").rglob("*.*")) == sorted(GOLMUD[:2])
    assert [r["status"] for r in load_batch(batch, home, "run-1", kept.append)] == ["accepted"] * 2


def test_a_transient_fault_stops_the_batch_and_its_retry_loads_each_file_once(tmp_path, demo, monkeypatch):
    """A transient fault (a lost connection) on the second file: the batch stops after handing on
    the first file's result; the retry reads the first file's result back from its receipt and
    loads the others."""
    home = tmp_path / "home"
    landing_with(home, demo, GOLMUD[:3])
    [batch] = discover(home, Slice().to_dict())
    real_complete, faults = pipeline.complete, []

    def fault_on_second(file, *args, **kwargs):
        if file.rel == GOLMUD[1] and not faults:
            faults.append(file.rel)
            raise TransientError("connection reset while loading")
        return real_complete(file, *args, **kwargs)

    monkeypatch.setattr(pipeline, "complete", fault_on_second)
    kept: list[list[dict]] = []
    with pytest.raises(TransientError):
        load_batch(batch, home, "run-1", kept.append)
    [[first]] = kept
    assert (first["file"], first["status"]) == (GOLMUD[0], "accepted")

    done = load_batch(batch, home, "run-1", kept.append)                 # the retry
    assert [r["file"] for r in done] == GOLMUD[:3] and done[0] == first
    assert [r["status"] for r in done] == ["accepted"] * 3
    ledger = query(home / "warehouse" / "raw.duckdb", "select source_file, status from file_ledger order by source_file")
    assert sorted(ledger) == sorted((rel, "accepted") for rel in GOLMUD[:3])   # the first file loaded once


def test_a_copy_of_a_file_in_the_same_batch_is_a_duplicate(tmp_path, demo):
    """Both copies are staged before either loads; the second is found a duplicate when its turn
    comes, and its rows are not loaded twice."""
    home = tmp_path / "home"
    landing_with(home, demo, GOLMUD[2:3])
    copy = GOLMUD[2].replace("5月志愿服务记录", "5月志愿服务记录(重新导出)")
    shutil.copy(home / "landing" / GOLMUD[2], home / "landing" / copy)
    os.utime(home / "landing" / copy, (1_700_000_100, 1_700_000_100))
    [batch] = discover(home, Slice().to_dict())
    done = load_batch(batch, home, "run-1", lambda d: None)
    assert [(r["file"], r["status"]) for r in done] == [(GOLMUD[2], "accepted"), (copy, "duplicate")]
    raw = home / "warehouse" / "raw.duckdb"
    assert query(raw, "select count(distinct submission_id) from raw_volunteer") == [(1,)]
    assert query(raw, "select count(*) from raw_volunteer") == [(done[0]["loaded"],)]
