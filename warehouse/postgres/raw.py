"""Schema `raw` of PostgreSQL as the warehouse steps need it.

Ingest writes it directly on this target (ingest.raw.postgres: one transaction per file, any
number of workers), so dbt reads it as it stands: no carry-over. A home whose files were ingested
into raw.duckdb instead (`python -m ingest load`, or a home moved from the DuckDB target) is
carried over whole by `sync_raw`, as before; both at once is refused, since the carry-over would
replace what ingest wrote.

The mart audit reads raw through a DuckDB mirror of the schema (the reconciliation suites attach
it as `raw`, as they attach raw.duckdb on the DuckDB target), kept between audits and brought up
to date with only what changed (warehouse.postgres.mirror), and keeps its outcomes in
raw.quality_results.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingest.config import Paths
from ingest.errors import ConfigError
from warehouse.postgres import connect as pg
from warehouse.postgres.copy import RAW_SCHEMA, sync_raw
from warehouse.postgres.mirror import sync_mirror

if TYPE_CHECKING:
    from expectations import ExpectationRecord

log = logging.getLogger(__name__)


def carried_over(paths: Paths) -> bool:
    """True when raw lives in raw.duckdb and is carried over (the home's files were ingested there)."""
    return paths.raw_db.is_file()


def ready(paths: Paths, dsn: str) -> None:
    """Schema `raw` holds what ingest loaded, with the quality store: set up for direct writes,
    or carried over from raw.duckdb. ConfigError when a home has both."""
    from ingest.raw.postgres import directly_written, ensure

    with pg.connect(dsn) as con:
        direct = directly_written(con)
        if not carried_over(paths):
            ensure(con)
            return
    if direct:
        raise ConfigError(f"{paths.raw_db} holds files ingested outside PostgreSQL, but ingest writes schema "
                          f"{RAW_SCHEMA} of {pg.safe_dsn(dsn)} directly: carrying the file over would replace "
                          "what it wrote. Move the file aside and ingest its files again (they are in archive/).")
    from warehouse.duck import ensure_quality_store
    ensure_quality_store(paths)     # raw.quality_results, the source of mart_data_quality
    sync_raw(paths.raw_db, dsn)


def reset(dsn: str | None = None) -> None:
    """Drop schema `raw` (`make demo` resetting a home to the demo on PostgreSQL)."""
    dsn = dsn or pg.dsn()
    pg.ensure_database(dsn)
    with pg.connect(dsn) as con, con, con.cursor() as cur:
        cur.execute(f"drop schema if exists {RAW_SCHEMA} cascade")
    log.info("dropped schema %s of %s", RAW_SCHEMA, pg.safe_dsn(dsn))


def audit_source(paths: Paths, dsn: str) -> Path:
    """The raw tables the audit reconciles with: raw.duckdb itself, or the DuckDB mirror of schema
    raw, brought up to date."""
    if carried_over(paths):
        return paths.raw_db
    mirror = paths.warehouse_dir / "pg_audit" / "raw.duckdb"
    moved = sync_mirror(dsn, RAW_SCHEMA, mirror, duck_schema="main")
    log.info("audit mirror of schema %s, rows copied of rows held: %s", RAW_SCHEMA, moved)
    return mirror


def keep_audit(paths: Paths, dsn: str, source: Path, records: list[ExpectationRecord]) -> None:
    """The audit's outcomes into the quality store that feeds mart_data_quality: raw.duckdb
    (carried over again), or raw.quality_results directly (through an in-memory DuckDB: the
    mirror `source` stays a copy of schema raw)."""
    from expectations import store

    con = duckdb.connect(str(source) if carried_over(paths) else ":memory:")
    try:
        store.record_audit(con, records, target="postgres")
        if not carried_over(paths):
            _copy_audit(con, dsn, sorted({r.run_id for r in records}))
    finally:
        con.close()
    if carried_over(paths):
        sync_raw(paths.raw_db, dsn)


def _copy_audit(con: duckdb.DuckDBPyConnection, dsn: str, run_ids: list[str]) -> None:
    """These runs' mart-gate outcomes from the mirror into raw.quality_results (replacing a retry's)."""
    from expectations import store

    cols = ", ".join(store.COLUMNS)
    con.execute(f"""create or replace temp table audit_out as select {cols} from {store.TABLE}
                    where gate = 'mart' and target = 'postgres' and list_contains(?, run_id)""", [run_ids])
    with pg.connect(dsn) as pgc, pgc, pgc.cursor() as cur, tempfile.TemporaryDirectory() as tmp:
        cur.execute(f"""delete from {RAW_SCHEMA}.{store.TABLE} where gate = 'mart' and target = 'postgres'
                        and run_id = any(%s)""", [run_ids])
        csv = Path(tmp) / "audit.csv"
        con.execute(f"copy audit_out to '{csv}' (format csv, header false)")
        with csv.open("rb") as f:
            cur.copy_expert(f"copy {RAW_SCHEMA}.{store.TABLE} ({cols}) from stdin with (format csv)", f)
