"""CAMPAIGN_TARGET=postgres: a few hundred small files loaded by four worker processes at once,
each running the ingest DAG's per-file task body (flows.ingest_steps.load_batch) on its own
batches, with duplicates and resubmissions in batches that race their originals. The ledger,
the raw tables and the marts come out as a sequential run's on the same files."""
from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest

from bench import data
from ingest.config import Paths
from tests.conftest import TEST_HASH_KEY
from tests.pg_warehouse import build_postgres, drop_database, marts, new_database, pg_rows

pytestmark = pytest.mark.slow
FILES, WORKERS = 240, 4


def _landing(root: Path) -> tuple[Path, list[str], dict[str, str]]:
    """Small files of 10 departments over 8 months; every 7th file again under another name
    (the same bytes: a duplicate), every 9th CSV again with a blank line added (new bytes, the
    same rows: a resubmission of its month). Returns the landing, the originals in arrival
    order, and each extra file with its original."""
    landing = root / "landing"
    assert data.small_files(landing, FILES, departments=10) == FILES
    originals = sorted((p for p in landing.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)
    extras = {}
    for i, path in enumerate(originals):
        if i % 7 == 5:
            copy = path.with_name(f"{path.stem}_副本{path.suffix}")
            shutil.copy2(path, copy)
            extras[str(copy.relative_to(landing))] = str(path.relative_to(landing))
        elif i % 9 == 4 and path.suffix == ".csv":
            again = path.with_name(f"{path.stem}_重报{path.suffix}")
            again.write_bytes(path.read_bytes() + b"\n")
            extras[str(again.relative_to(landing))] = str(path.relative_to(landing))
    return landing, [str(p.relative_to(landing)) for p in originals], extras


def _batches(landing: Path, originals: list[str], extras: dict[str, str]) -> list[dict]:
    """The DAG's batches of the originals, each followed by one-file batches of its extras, so
    that a worker takes an extra while another loads its original."""
    from flows.ingest_steps import plan_batches

    out, n = [], 0
    for files in plan_batches(originals, landing, 12, 64 << 20):
        for group in [files] + [[x] for x, orig in extras.items() if orig in files]:
            items = []
            for rel in group:
                n += 1
                items.append({"rel": rel, "n": n, "of": len(originals) + len(extras)})
            out.append({"files": items, "label": group[0]})
    return out


def _load(args: tuple[dict, str]) -> list[dict]:
    """One per-file task, as a worker runs it."""
    from flows.ingest_steps import load_batch

    batch, home = args
    return load_batch(batch, home, "parallel", lambda results: None)


def _run(home: Path, batches: list[dict], workers: int) -> list[dict]:
    if workers == 1:
        return [r for b in batches for r in _load((b, str(home)))]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return [r for done in pool.imap(_load, [(b, str(home)) for b in batches], chunksize=1) for r in done]


def _raw(dsn: str) -> dict[str, object]:
    q = lambda sql: pg_rows(dsn, sql)     # noqa: E731
    return {"ledger": q("select status, count(*) from raw.file_ledger group by 1 order by 1"),
            **{t: q(f"select count(*) from raw.{t}")[0][0]
               for t in ("raw_investment", "raw_volunteer", "raw_issue", "quarantine", "row_warnings", "submissions")},
            "current": q("select count(*) from raw.submissions where superseded_by is null")[0][0]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("pg_parallel")
    landing, originals, extras = _landing(root / "template")
    dsns, done = {}, {}
    try:
        for name, workers in (("parallel", WORKERS), ("sequential", 1)):
            home = root / name
            shutil.copytree(landing, home / "landing", copy_function=shutil.copy2)
            dsns[name] = new_database(name[:3])
            for key, value in (("CAMPAIGN_TARGET", "postgres"), ("CAMPAIGN_PG_DSN", dsns[name]),
                               ("CAMPAIGN_HOME", str(home)), ("CAMPAIGN_HASH_KEY", TEST_HASH_KEY)):
                mp.setenv(key, value)
            results = _run(home, _batches(home / "landing", originals, extras), workers)
            build_postgres(Paths(home), dsns[name])
            done[name] = (dsns[name], home, results)
        yield done, originals, extras
    finally:
        mp.undo()
        for name in ("parallel", "sequential"):
            if name in dsns:
                drop_database(dsns[name])


def test_every_file_has_exactly_one_outcome(runs):
    done, originals, extras = runs
    dsn, home, results = done["parallel"]
    files = len(originals) + len(extras)
    assert len(results) == files and len({r["file"] for r in results}) == files
    assert pg_rows(dsn, "select count(*), count(distinct receipt_id) from raw.file_ledger") == [(files, files)]
    assert len(list((home / "receipts").rglob("*.json"))) == files
    assert not list((home / "landing").rglob("*.*"))                     # every file left landing
    copies = sum("_副本" in x for x in extras)
    assert {s: n for s, n in _raw(dsn)["ledger"]} == {"accepted": files - copies, "duplicate": copies}
    # of each pair of identical files exactly one loaded, whichever won the race
    assert pg_rows(dsn, """select count(*) from (select content_sha256 from raw.file_ledger
                           group by content_sha256, city, department_code, kind
                           having count(*) filter (where status = 'accepted') <> 1) bad""") == [(0,)]


def test_nothing_doubled_or_lost(runs):
    done, originals, extras = runs
    dsn = done["parallel"][0]
    rows_in, loaded, quarantined = pg_rows(dsn, """select sum(rows_in), sum(rows_loaded), sum(rows_quarantined)
                                                   from raw.file_ledger where status = 'accepted'""")[0]
    assert rows_in == loaded + quarantined > 0
    raw = _raw(dsn)
    assert raw["raw_investment"] + raw["raw_volunteer"] + raw["raw_issue"] == loaded
    assert raw["quarantine"] == quarantined
    # one current submission per department, kind and month; each resubmission superseded one
    assert pg_rows(dsn, """select count(*) from (select 1 from raw.submissions where superseded_by is null
                           group by city, department_code, kind, period_month having count(*) > 1) twice""") == [(0,)]
    assert raw["submissions"] - raw["current"] == sum("_重报" in x for x in extras) > 0
    assert raw == _raw(done["sequential"][0])


def _figures(dsn: str) -> dict:
    """The marts without when things loaded and which submission a row came from: when a file
    and its resubmission race, the one that settles last is current, in either run. The figures
    must not differ."""
    every = marts(dsn)
    lineage = {c for rel in every.values() for c, t in rel.columns
               if t.startswith("timestamp") or c.endswith(("submission_id", "record_id", "source_file"))}
    return marts(dsn, volatile=frozenset(lineage | {"built_at"}))


def test_the_marts_equal_a_sequential_runs(runs):
    done, _, _ = runs
    parallel, sequential = (_figures(done[n][0]) for n in ("parallel", "sequential"))
    assert parallel.keys() == sequential.keys() and "fct_volunteer_hours" in parallel
    for table in parallel:
        if table != "mart_data_quality":      # a log of validation runs, not figures
            assert parallel[table] == sequential[table], table
