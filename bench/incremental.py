"""`make bench --only incremental`: the warehouse steps after one department's next monthly file,
against the full build, at the scale of a province's year, on DuckDB and on PostgreSQL.

The home holds the 2.7 M-row city-year export plus 12 months of every registry department's
files (133 departments x 12 months x 3 kinds), ingested into raw.duckdb before any timing (the
export step's home is taken over when that step ran, so the export is ingested only once). The
PostgreSQL home is a fresh database whose schema `raw` is set up for direct writes by ingest and
seeded with the same raw tables (warehouse.postgres.copy.sync_raw), so that it starts from the
very same data without ingesting every file a second time.

On each target, timed, in this one long-lived process (imports done once, as a warm worker):
- full: the DAG's build (full refresh), audit and publish bodies (flows.warehouse_steps);
- incremental: one department's next month (a volunteer file of ~0.1 % of the rows) through the
  ingest DAG's task body (load_batch), then build, audit and publish without full refresh.
The share is incremental / full; each phase's seconds are kept too (the profile of the share).
"""
from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from bench import data
from bench.env import database, drop_database, drop_roles, settings
from ingest.config import Paths

log = logging.getLogger(__name__)
NEW_MONTH = dt.date(2023, 3, 1)          # the month after the 12 of bench.data.MONTHS
NEW_FILE_AT = ("寿光市", "团市委")        # the department whose next monthly file arrives
NEW_ROWS_SHARE = 0.001
PHASES = ("ingest", "build", "audit", "publish")


def make_data(landing: Path, sizes: tuple[int, int]) -> None:
    """(export rows, departments): that many registry departments' 12 months x 3 kinds (0: every
    one); the export too when its rows are given."""
    from ingest.demo.plan import load_registry

    export_rows, departments = sizes
    departments = departments or len(load_registry())
    if export_rows:
        data.export(landing, export_rows)
    data.small_files(landing, departments * 12 * len(data.KINDS), departments=departments)


def _demo(home: Path, target: str, dsn: str | None = None, bi_role: str | None = None) -> Any:
    return settings(CAMPAIGN_HOME=str(home), CAMPAIGN_TARGET=target, CAMPAIGN_DEMO="1", CAMPAIGN_SETTLE_SECONDS="0",
                     CAMPAIGN_HASH_KEY=None, CAMPAIGN_PG_DSN=dsn, CAMPAIGN_BI_ROLE=bi_role,
                     GX_ANALYTICS_ENABLED="false")


def ingest(home: Path) -> tuple[int, float]:
    """Every file in landing/ through the ingest DAG's task body, in its batches; (rows loaded, s)."""
    from flows.ingest_steps import load_batch, plan_batches
    from ingest.pipeline import discover

    started = time.perf_counter()
    rels = discover(home / "landing")
    loaded = 0
    for files in plan_batches(rels, home / "landing", 100, 64 << 20):
        batch = {"files": [{"rel": r, "n": i, "of": len(files)} for i, r in enumerate(files)], "label": files[0]}
        results = load_batch(batch, home, "bench-incremental", lambda _: None)
        refused = [r for r in results if r["status"] != "accepted"]
        if refused:
            raise RuntimeError(f"incremental bench: {len(refused)} file(s) not accepted, e.g. {refused[0]}")
        loaded += sum(r["loaded"] or 0 for r in results)
    return loaded, time.perf_counter() - started


def warehouse(home: Path, target: str, full_refresh: bool, run_id: str) -> dict[str, float]:
    """The warehouse DAG's build, audit and publish bodies; seconds of each."""
    from flows import warehouse_steps as steps

    plan = {"target": target, "full_refresh": full_refresh}
    seconds: dict[str, float] = {}
    for phase, body in (("build", lambda: steps.build(home, plan)), ("audit", lambda: steps.audit(home, plan, run_id)),
                        ("publish", lambda: steps.publish(home, target))):
        started = time.perf_counter()
        body()
        seconds[phase] = round(time.perf_counter() - started, 2)
    return seconds


def _round(target: str, home: Path, new_file: Path, new_rows: int) -> dict[str, Any]:
    """Full build, audit, publish; then the new file (under `new_file`, a landing of its own) ingested
    and the incremental steps. The figures of one target."""
    full = warehouse(home, target, True, f"bench_full_{target}")
    shutil.copytree(new_file, home / "landing", dirs_exist_ok=True)
    loaded, ingest_s = ingest(home)
    if loaded != new_rows:
        raise RuntimeError(f"incremental bench on {target}: {loaded} of {new_rows} new rows loaded")
    incr = {"ingest": round(ingest_s, 2), **warehouse(home, target, False, f"bench_incr_{target}")}
    full_s, incr_s = sum(full.values()), sum(incr.values())
    log.info("incremental bench %s: full %s = %.1f s; incremental %s = %.1f s", target, full, full_s, incr, incr_s)
    return {f"incr_{target}_full_s": round(full_s, 2), f"incr_{target}_s": round(incr_s, 2),
            f"incr_{target}_share": round(incr_s / full_s, 3),
            f"incr_{target}_phases": {"full": full, "incremental": incr}}


def _raw_rows(raw_db: Path) -> int:
    import duckdb

    with duckdb.connect(str(raw_db), read_only=True) as con:
        return con.execute("select count(*) from raw_volunteer").fetchone()[0]


def _seed_postgres(raw_db: Path, dsn: str) -> None:
    """Schema raw set up for ingest's direct writes, holding the raw tables of `raw_db`."""
    from ingest.raw.postgres import directly_written, ensure
    from warehouse.postgres import connect as pg
    from warehouse.postgres.copy import sync_raw

    with pg.connect(dsn) as con:
        ensure(con)
    sync_raw(raw_db, dsn)
    with pg.connect(dsn) as con:
        if not directly_written(con):
            raise RuntimeError("incremental bench: schema raw is no longer set up for direct writes")


def incremental(home: Path, prepared: Path, export_home: Path | None) -> dict[str, Any]:
    """The step: the scale home on DuckDB (export home taken over, or the export in `prepared`),
    then both targets' full and incremental rounds."""
    from warehouse.postgres import connect as pg

    duck, pg_home = home / "incremental", home / "incremental-pg"
    for old in (duck, pg_home):
        shutil.rmtree(old, ignore_errors=True)
    if export_home is not None and (export_home / "warehouse" / "raw.duckdb").is_file():
        shutil.move(str(export_home), str(duck))
        shutil.rmtree(duck / "landing", ignore_errors=True)
    duck.mkdir(parents=True, exist_ok=True)
    shutil.move(str(prepared), str(duck / "landing"))
    figures: dict[str, Any] = {}
    with _demo(duck, "duckdb"):
        _, figures["incr_home_ingest_s"] = ingest(duck)
        figures["incr_home_ingest_s"] = round(figures["incr_home_ingest_s"], 1)
    rows = _raw_rows(Paths(duck).raw_db)
    new_rows = max(1, round(rows * NEW_ROWS_SHARE))
    figures.update(incr_home_rows=rows, incr_new_rows=new_rows)
    pg_home.mkdir(parents=True)
    (pg_home / "landing").mkdir()
    dsn, role = database(pg.dsn(), "incr"), f"campaign_bench_bi_{uuid.uuid4().hex[:6]}"
    new_file = home / "incremental-new-file"
    shutil.rmtree(new_file, ignore_errors=True)
    data.monthly_volunteer(new_file, *NEW_FILE_AT, NEW_MONTH, new_rows, seed=2303)
    try:
        with _demo(pg_home, "postgres", dsn, role):
            _seed_postgres(Paths(duck).raw_db, dsn)
        with _demo(duck, "duckdb"):
            figures.update(_round("duckdb", duck, new_file, new_rows))
        with _demo(pg_home, "postgres", dsn, role):
            figures.update(_round("postgres", pg_home, new_file, new_rows))
    finally:
        drop_database(dsn)
        drop_roles(pg.dsn(), role)
    return figures
