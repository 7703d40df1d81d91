"""The one place that chooses the warehouse target: CAMPAIGN_TARGET=duckdb (default: a candidate
file, published by atomic rename; warehouse.duck) or postgres (candidate schemas, one swapping
transaction; warehouse.postgres). Every step and reader above goes through these functions.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ingest.config import Paths
from ingest.errors import ConfigError

if TYPE_CHECKING:
    from expectations import AuditReport

TARGETS = ("duckdb", "postgres")
Query = Callable[[str, list[Any]], list[tuple]]   # sql with %s placeholders, args -> rows


def current() -> str:
    """The warehouse target of this run: CAMPAIGN_TARGET (duckdb | postgres), default duckdb."""
    value = os.environ.get("CAMPAIGN_TARGET", "duckdb").strip().lower() or "duckdb"
    return checked(value, "CAMPAIGN_TARGET")


def checked(target: str, setting: str = "warehouse target") -> str:
    if target not in TARGETS:
        raise ConfigError(f"{setting}={target!r}: expected one of {', '.join(TARGETS)}")
    return target


def build(paths: Paths, target: str, full_refresh: bool = False) -> str:
    """dbt build of the candidate; returns where it is (file or schemas)."""
    if checked(target) == "postgres":
        from warehouse.postgres.publish import build_postgres
        return build_postgres(paths, full_refresh=full_refresh)
    from warehouse import duck
    return str(duck.build(paths, full_refresh=full_refresh))


def audit(paths: Paths, target: str, run_id: str) -> AuditReport:
    """The GX mart audit of the candidate, with its Data Docs; raises AuditFailed unless it passes."""
    if checked(target) == "postgres":
        from expectations import build_data_docs, raise_on_failure
        from warehouse.duck import docs_dir
        from warehouse.postgres.publish import audit_postgres
        report = audit_postgres(paths, run_id)
        build_data_docs(report, docs_dir(paths, run_id))
        return raise_on_failure(report)
    from warehouse import duck
    return duck.audit(paths, run_id)


def publish(paths: Paths, target: str) -> str:
    """Swap the audited candidate in; returns where the published marts are."""
    if checked(target) == "postgres":
        from warehouse.postgres.publish import publish_postgres
        return publish_postgres(paths)
    from warehouse import duck
    return str(duck.publish(paths))


def raw_store(paths: Paths, target: str) -> Any:
    """Where ingest keeps files (ingest.raw.load.store): raw.duckdb behind the home's one-writer
    lock, or schema `raw` of PostgreSQL written directly by any number of workers (close it after)."""
    if checked(target) == "postgres":
        from ingest.raw.postgres import PostgresRaw
        from warehouse.postgres import connect as pg
        pg.ensure_database(pg.dsn())
        return PostgresRaw(pg.dsn())
    from ingest.raw import load
    return load.DuckRaw(load.connect(paths.raw_db))


def parallel_ingest(target: str) -> bool:
    """Whether ingest tasks may run at once (PostgreSQL) or take turns on raw.duckdb."""
    return checked(target) == "postgres"


def _raw_in_postgres(paths: Paths, target: str) -> bool:
    """Whether ingest's raw tables are schema raw of PostgreSQL, written directly; else raw.duckdb
    (the DuckDB target, or a PostgreSQL home still carried over from raw.duckdb at each build)."""
    if checked(target) != "postgres":
        return False
    from warehouse.postgres import raw as pg_raw
    return not pg_raw.carried_over(paths)


def raw_fingerprint(paths: Paths, target: str) -> str:
    """ingest.raw.state.fingerprint of the raw tables of the target."""
    from ingest.raw import state
    if _raw_in_postgres(paths, target):
        from warehouse.postgres import connect as pg
        with pg.connect(pg.dsn()) as con, con.cursor() as cur:
            return state.fingerprint_with(lambda sql: _fetch_one(cur, sql), "raw.")
    return state.fingerprint(paths.raw_db)


@contextmanager
def raw_writes(paths: Paths, target: str) -> Iterator[Query]:
    """A query function that may write ingest's raw tables (the mart audit's holds), committed
    when the block ends."""
    if _raw_in_postgres(paths, target):
        from warehouse.postgres import connect as pg
        with pg.connect(pg.dsn()) as con, con, con.cursor() as cur:
            cur.execute("set local search_path to raw")

            def run_pg(sql: str, args: list[Any]) -> list[tuple]:
                cur.execute(sql, args)
                return cur.fetchall() if cur.description else []
            yield run_pg
        return
    from ingest.raw.holds import duckdb_writes
    with duckdb_writes(paths.raw_db) as run:
        yield run


def raw_query(paths: Paths, target: str) -> Query | None:
    """A read-only query function on ingest's raw tables (sql with %s placeholders, unqualified
    table names); None when there are none yet."""
    if _raw_in_postgres(paths, target):
        from warehouse.postgres import connect as pg

        def run_pg(sql: str, args: list[Any]) -> list[tuple]:
            with pg.connect(pg.dsn()) as con, con.cursor() as cur:
                cur.execute("set search_path to raw")
                cur.execute("select to_regclass('raw.file_ledger')")
                if cur.fetchone()[0] is None:
                    return []
                cur.execute(sql, args)
                return cur.fetchall()
        return run_pg
    if not paths.raw_db.exists():
        return None

    def run_duckdb(sql: str, args: list[Any]) -> list[tuple]:
        import duckdb
        with duckdb.connect(str(paths.raw_db), read_only=True) as con:
            return con.execute(sql.replace("%s", "?"), args).fetchall()
    return run_duckdb


def _fetch_one(cur: Any, sql: str) -> tuple:
    cur.execute(sql)
    return cur.fetchone()


def location(paths: Paths, target: str) -> str:
    """Where the published marts are: the file, or the DSN without its password."""
    if checked(target) == "postgres":
        from warehouse.postgres import connect as pg
        return pg.safe_dsn(pg.dsn())
    return str(paths.published_db)


def label(paths: Paths, target: str) -> str:
    """location, saying which schema on PostgreSQL."""
    return location(paths, target) + (" (schema marts)" if target == "postgres" else "")


def published_at(paths: Paths, target: str) -> datetime | None:
    """When the DuckDB file was published (None on PostgreSQL, where no file tells)."""
    if checked(target) == "duckdb" and paths.published_db.exists():
        return datetime.fromtimestamp(paths.published_db.stat().st_mtime)
    return None


def published_counts(paths: Paths, target: str) -> dict[str, int]:
    """Rows per table of the published marts (empty when nothing is published)."""
    if checked(target) == "postgres":
        from warehouse.postgres.publish import published_counts as counts
        return counts()
    if not paths.published_db.exists():
        return {}
    import duckdb
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        tables = [t for (t,) in con.execute("""select table_name from information_schema.tables
                  where table_schema = 'marts' order by table_name""").fetchall()]
        return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}


def query(paths: Paths, target: str, pg_dsn: str | None = None) -> Query:
    """A read-only query function on the published marts."""
    if checked(target) == "postgres":
        def run_pg(sql: str, args: list[Any]) -> list[tuple]:
            from warehouse.postgres import connect as pg
            with pg.connect(pg_dsn or pg.dsn()) as con, con.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        return run_pg

    def run_duckdb(sql: str, args: list[Any]) -> list[tuple]:
        import duckdb
        with duckdb.connect(str(paths.published_db), read_only=True) as con:
            return con.execute(sql.replace("%s", "?"), args).fetchall()
    return run_duckdb


def sqlalchemy_url(paths: Paths, target: str) -> tuple[str, dict[str, Any]]:
    """(URL, create_engine keyword arguments) reading the published marts read-only, the way a BI
    tool connects. DuckDB: the published file (FileNotFoundError when there is none)."""
    if checked(target) == "postgres":
        import psycopg2

        from warehouse.postgres import connect as pg
        dsn = pg.dsn()
        return "postgresql+psycopg2://", {"creator": lambda: psycopg2.connect(
            dsn, options="-c default_transaction_read_only=on")}
    if not paths.published_db.exists():
        raise FileNotFoundError(paths.published_db)
    return f"duckdb:///{paths.published_db}", {"connect_args": {"read_only": True}}


def dbt_env(paths: Paths, target: str, work: Path) -> tuple[dict[str, str], bool]:
    """The environment dbt needs to read the published warehouse (DuckDB: a copy of the file in
    `work`, so that readers never hold the published file), and whether a copy was made."""
    if checked(target) == "postgres":
        from warehouse.postgres.connect import dbt_env as pg_env, dsn
        return pg_env(dsn()), False
    import shutil
    shutil.copyfile(paths.published_db, work / "campaign.duckdb")
    return {"CAMPAIGN_DBT_DUCKDB_PATH": str(work / "campaign.duckdb"), "CAMPAIGN_RAW_DB": str(paths.raw_db)}, True
