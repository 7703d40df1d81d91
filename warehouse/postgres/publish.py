"""Write-audit-publish on PostgreSQL (CAMPAIGN_TARGET=postgres), one function per DAG step.

build:   schema `raw` as ingest wrote it (warehouse.postgres.raw), then one `dbt build` into candidate schemas
         (<schema>__candidate; incremental tables start as copies of the published ones).
audit:   the GX suites of expectations/ on the candidate marts (mirrored into a DuckDB file kept
         between audits: only what changed moves, warehouse.postgres.mirror),
         outcomes into the quality store and the candidate's mart_data_quality.
publish: only an audited candidate; one transaction with a lock_timeout renames every candidate
         schema over its published one; the read-only BI role's grants are given to the candidate before the swap, so BI
         never loses access and never sees a mix of runs. The old schemas are dropped afterwards.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.postgres import connect as pg
from ingest.config import Paths
from warehouse.postgres import raw
from warehouse.postgres.mirror import sync_mirror
from warehouse.dbt import VOLUNTEER_ROWS_SINCE, BuildFailed, run_dbt
from warehouse.postgres.roles import Limits, city_logins, city_password, ensure_login, lock_database, revoke_read
from warehouse.postgres.rows import secure_schema

if TYPE_CHECKING:
    from expectations import AuditReport
    from psycopg2.extensions import cursor as PgCursor

log = logging.getLogger(__name__)

CANDIDATE = "__candidate"
RETIRED = "__retired_"
MARTS = "marts"
BI_SCHEMAS = (MARTS, "bi_zh")   # what the BI roles read: the marts and their Chinese-named views
QUALITY_MART = "mart_data_quality"
AUDITED = "audited by run "   # comment on the candidate marts schema once its audit passed
# Incremental models: their candidate starts as a copy of the published table (schema, table).
INCREMENTAL_TABLES = (("staging", "stg_volunteers"), (MARTS, "fct_volunteer_hours"), (MARTS, "dim_volunteer"))


class PublishFailed(BuildFailed):
    """No audited candidate to publish, or the swap could not take its locks in time; nothing changed."""


def _schemas(cur: PgCursor, pattern: str) -> list[str]:
    cur.execute("select nspname from pg_namespace where nspname like %s order by nspname", [pattern])
    return [s for (s,) in cur.fetchall()]


def _like(suffix: str, anywhere: bool = False) -> str:
    """A LIKE pattern for schema names ending in (or containing) `suffix`."""
    return "%" + suffix.replace("_", r"\_") + ("%" if anywhere else "")


def _drop_schemas(cur: PgCursor, schemas: list[str]) -> None:
    for schema in schemas:
        cur.execute(f'drop schema if exists "{pg.ident(schema)}" cascade')


def prepare_candidate(pg_dsn: str, full_refresh: bool = False) -> None:
    """Drop leftovers of earlier runs; seed the candidate's incremental tables from the published ones."""
    with pg.connect(pg_dsn) as con:
        _drop_retired(con)
        with con, con.cursor() as cur:
            _prepare(cur, full_refresh)


def _drop_retired(con) -> None:
    """Drop the schemas earlier publishes retired; a reader still on one keeps it for now."""
    import psycopg2.errors

    try:
        with con, con.cursor() as cur:
            cur.execute("set local lock_timeout = %s", [pg.lock_timeout()])
            _drop_schemas(cur, _schemas(cur, _like(RETIRED, anywhere=True)))
    except psycopg2.errors.LockNotAvailable:
        log.warning("old marts schemas still in use by readers; a later run drops them")


def _prepare(cur: PgCursor, full_refresh: bool) -> None:
    cur.execute("set local lock_timeout = %s", [pg.lock_timeout()])
    _drop_schemas(cur, _schemas(cur, _like(CANDIDATE)))
    if full_refresh:
        return
    for schema, table in INCREMENTAL_TABLES:
        cur.execute("select to_regclass(%s)", [f'"{schema}"."{table}"'])
        if cur.fetchone()[0] is None:
            continue
        cand = f'"{schema}{CANDIDATE}"'
        cur.execute(f"create schema if not exists {cand}")
        cur.execute(f'create table {cand}."{table}" (like "{schema}"."{table}" including all)')
        cur.execute(f'insert into {cand}."{table}" select * from "{schema}"."{table}"')
        log.info("candidate %s.%s starts from the published %d rows", cand, table, cur.rowcount)


def dbt_build_postgres(paths: Paths, pg_dsn: str, full_refresh: bool = False,
                       select: list[str] | None = None, suffix: str = CANDIDATE) -> None:
    """One `dbt build --target postgres` (models, tests, unit tests) into <schema><suffix>.
    A partial build (select) keeps its artifacts apart from the full build's run results. As on
    DuckDB, an incremental build tells dbt where the candidate's volunteer rows end."""
    target_path = paths.home / "dbt" / ("target-postgres-select" if select else "target-postgres")
    env = {**pg.dbt_env(pg_dsn), "CAMPAIGN_SCHEMA_SUFFIX": suffix}
    since = None if full_refresh else _staged_volunteer_rows_since(pg_dsn, "staging" + suffix)
    if since:
        env[VOLUNTEER_ROWS_SINCE] = since
    run_dbt("postgres", env, target_path, paths.home / "dbt" / "logs", full_refresh=full_refresh, select=select,
            label="dbt build (postgres)")


def _staged_volunteer_rows_since(pg_dsn: str, schema: str) -> str | None:
    """The newest loaded_at in <schema>.stg_volunteers (the candidate's copy of the published
    table), None without one: see warehouse.build_inputs.staged_volunteer_rows_since."""
    with pg.connect(pg_dsn) as con, con.cursor() as cur:
        cur.execute("select to_regclass(%s)", [f'"{pg.ident(schema)}"."stg_volunteers"'])
        newest = None
        if cur.fetchone()[0] is not None:
            cur.execute(f'select max(loaded_at) from "{pg.ident(schema)}"."stg_volunteers"')
            newest = cur.fetchone()[0]
        con.rollback()
    return newest.isoformat(sep=" ") if newest else None


def build_postgres(paths: Paths, pg_dsn: str | None = None, full_refresh: bool = False) -> str:
    """DAG step `build`: schema raw ready (warehouse.postgres.raw), candidate schemas, dbt build.
    Returns the candidate marts schema."""
    dsn = pg_dsn or pg.dsn()
    pg.ensure_database(dsn)
    raw.ready(paths, dsn)
    prepare_candidate(dsn, full_refresh=full_refresh)
    dbt_build_postgres(paths, dsn, full_refresh=full_refresh)
    return MARTS + CANDIDATE


def audit_postgres(paths: Paths, run_id: str, pg_dsn: str | None = None) -> AuditReport:
    """DAG step `audit`: the mart suites on the candidate marts (mirrored into a DuckDB file, so
    the very suites and reconciliation with raw of the DuckDB target apply). Outcomes go
    to the quality store; a passing candidate gets them in its mart_data_quality. The caller
    gates with raise_on_failure()."""
    from expectations import audit_warehouse
    from expectations.audit import scope

    dsn = pg_dsn or pg.dsn()
    mirror = _candidate_marts(paths)
    moved = sync_mirror(dsn, MARTS + CANDIDATE, mirror, duck_schema=MARTS)
    log.info("audit mirror of %s%s, rows copied of rows held: %s", MARTS, CANDIDATE, moved)
    source = raw.audit_source(paths, dsn)
    report = audit_warehouse(mirror, run_id, raw_db=source, certify=False,
                             scope=scope.read(scope.beside(_published_marts(paths))))
    raw.keep_audit(paths, dsn, source, report.records)
    scope.keep(scope.beside(mirror), report.scope if report.success else None)
    if report.success:   # this run's results into the candidate's quality mart, as on DuckDB
        # the quality mart with the staging models it reads (now holding this audit's results)
        # and its bi_zh view (a rebuilt table drops the views over it)
        dbt_build_postgres(paths, dsn, select=[f"+{QUALITY_MART}+"])
        with pg.connect(dsn) as con, con, con.cursor() as cur:   # publish's proof of the audit
            cur.execute(f'comment on schema "{MARTS}{CANDIDATE}" is %s', [AUDITED + run_id])
    return report


def publish_postgres(paths: Paths | None = None, pg_dsn: str | None = None) -> str:
    """DAG step `publish`: swap every candidate schema in, in one transaction. Returns where."""
    dsn = pg_dsn or pg.dsn()
    role, password = pg.bi_role()
    retired = RETIRED + time.strftime("%Y%m%d%H%M%S")
    import psycopg2.errors

    with pg.connect(dsn) as con:
        try:
            with con, con.cursor() as cur:
                cur.execute("set local lock_timeout = %s", [pg.lock_timeout()])
                candidates = _schemas(cur, _like(CANDIDATE))
                if MARTS + CANDIDATE not in candidates:
                    raise PublishFailed(f"no candidate schema {MARTS}{CANDIDATE} to publish in {pg.safe_dsn(dsn)}")
                cur.execute("select obj_description(%s::regnamespace, 'pg_namespace')", [MARTS + CANDIDATE])
                audited = cur.fetchone()[0] or ""
                if not audited.startswith(AUDITED):
                    raise PublishFailed(f"not publishing {MARTS}{CANDIDATE}: no audit of it has passed")
                readers = ensure_bi_logins(cur, role, password, pg.dsn_parts(dsn)["dbname"])
                for candidate in candidates:
                    published = candidate[: -len(CANDIDATE)]
                    if published in BI_SCHEMAS:
                        secure_schema(cur, candidate, role, readers, Limits.from_env())
                    cur.execute("select 1 from pg_namespace where nspname = %s", [published])
                    if cur.fetchone():
                        revoke_read(cur, [role, *readers], published)
                        cur.execute(f'alter schema "{published}" rename to "{published}{retired}"')
                    cur.execute(f'alter schema "{candidate}" rename to "{published}"')
        except psycopg2.errors.LockNotAvailable as exc:
            raise PublishFailed(f"publish could not take its locks within lock_timeout: {exc}") from exc
        _drop_retired(con)
    if paths is not None:   # what the next audit may build on: the scope of the audit of what is now published
        from expectations.audit import scope
        scope.move(scope.beside(_candidate_marts(paths)), scope.beside(_published_marts(paths)))
    where = f"{pg.safe_dsn(dsn)} schema {MARTS}"
    log.info("published %s, %s (swapped %s)", where, audited, ", ".join(candidates))
    return where


def _candidate_marts(paths: Paths) -> Path:
    """The DuckDB mirror of the candidate marts the audit reads."""
    return paths.warehouse_dir / "pg_audit" / "candidate_marts.duckdb"


def _published_marts(paths: Paths) -> Path:
    """Where the scope of the audit of the published marts is kept beside (no file there)."""
    return paths.warehouse_dir / "pg_audit" / "published_marts.duckdb"


def ensure_bi_logins(cur: PgCursor, role: str, password: str | None, dbname: str) -> dict[str, str]:
    """Lock the database down and create or align the province-wide login and one login per
    city of the candidate's dim_city. Returns {city login: city}."""
    limits = Limits.from_env()
    lock_database(cur, dbname)
    ensure_login(cur, role, password, limits, dbname)
    cities = city_logins(cur, role, MARTS + CANDIDATE)
    for city_role in cities:
        ensure_login(cur, city_role, city_password(city_role, role), limits, dbname)
    return cities


def published_counts(pg_dsn: str | None = None) -> dict[str, int]:
    """Rows per table of the published `marts` schema (empty when nothing is published)."""
    dsn = pg_dsn or pg.dsn()
    with pg.connect(dsn) as con, con.cursor() as cur:
        cur.execute("""select table_name from information_schema.tables
                       where table_schema = %s and table_type = 'BASE TABLE' order by table_name""", [MARTS])
        tables = [t for (t,) in cur.fetchall()]
        out = {}
        for t in tables:
            cur.execute(f'select count(*) from "{MARTS}"."{pg.ident(t)}"')
            out[t] = cur.fetchone()[0]
        con.rollback()
    return out
