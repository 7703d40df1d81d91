"""Scale-out on PostgreSQL (CAMPAIGN_TARGET=postgres): the same small files ingested by 1 worker,
then by 2 workers, each on a fresh home and a fresh database; files per second for each.

A worker is a long-lived process running the ingest DAG's per-file task body
(flows.ingest_steps.load_batch) on one batch after another, as an Airflow worker does; its
imports (Great Expectations among them) are done before the clock starts. The batches are the
DAG's own (one department's kind together), at most BATCH_FILES files each so that there are
enough to share. The PostgreSQL server is the one CAMPAIGN_PG_DSN names (default the local one):
a database per run is created on it and dropped after.
"""
from __future__ import annotations

import logging
import multiprocessing
import shutil
import time
from pathlib import Path
from typing import Any

from bench.env import database, drop_database, settings

log = logging.getLogger(__name__)
BATCH_FILES = 24


def _warm() -> None:
    """A worker's imports, before any timing."""
    import expectations.gate.stage  # noqa: F401  (GX: seconds to import)
    import flows.ingest_steps  # noqa: F401


def _load(args: tuple[dict[str, Any], str]) -> int:
    from flows.ingest_steps import load_batch

    batch, home = args
    return len(load_batch(batch, home, "bench-scaleout", lambda results: None))


def one_run(prepared: Path, home: Path, workers: int) -> tuple[int, float]:
    """(files, seconds) for `workers` workers on a copy of the prepared landing."""
    from warehouse.postgres import connect as pg

    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(prepared, home / "landing", copy_function=shutil.copy2)
    dsn = database(pg.dsn(), f"w{workers}")
    try:
        with settings(CAMPAIGN_TARGET="postgres", CAMPAIGN_PG_DSN=dsn, CAMPAIGN_HOME=str(home), CAMPAIGN_DEMO="1",
                      CAMPAIGN_SETTLE_SECONDS="0", CAMPAIGN_HASH_KEY=None):    # demo data: the public demo key
            return _timed(home, workers)
    finally:
        drop_database(dsn)


def _timed(home: Path, workers: int) -> tuple[int, float]:
    from flows.ingest_steps import plan_batches
    from ingest.pipeline import discover

    rels = discover(home / "landing")
    batches = [{"files": [{"rel": r, "n": i, "of": len(rels)} for i, r in enumerate(files)], "label": files[0]}
               for files in plan_batches(rels, home / "landing", BATCH_FILES, 64 << 20)]
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_warm) as pool:
        pool.map(_warm_up, range(workers))          # every worker started and warm
        started = time.perf_counter()
        done = sum(pool.imap_unordered(_load, [(b, str(home)) for b in batches], chunksize=1))
        seconds = time.perf_counter() - started
    if done != len(rels):
        raise RuntimeError(f"scale-out: {done} results for {len(rels)} files")
    return done, seconds


def _warm_up(_: int) -> None:
    time.sleep(0.5)     # held long enough that each worker takes one


def scaleout(home: Path, prepared: Path) -> dict[str, Any]:
    """Files per second with 1 worker and with 2 workers on the same files."""
    figures: dict[str, Any] = {}
    for workers in (1, 2):
        files, seconds = one_run(prepared, home / f"scaleout-{workers}", workers)
        log.info("scale-out: %d files, %d worker(s): %.1f s", files, workers, seconds)
        figures["scaleout_files"] = files
        figures[f"scaleout_{workers}w_files_per_s"] = round(files / seconds, 1)
    figures["scaleout_speedup"] = round(figures["scaleout_2w_files_per_s"] / figures["scaleout_1w_files_per_s"], 2)
    return figures
