"""Table copies between the DuckDB files and PostgreSQL, through CSV and COPY (no DuckDB extension).

- `sync_raw`: ingest's raw.duckdb -> schema `raw` of the PostgreSQL warehouse, in one transaction.
  Row tables (append-only per submission) copy only the submissions PostgreSQL lacks; the small
  bookkeeping tables (submissions, file_ledger, anything new) are replaced whole.
- `mirror_schema`: a PostgreSQL schema -> a new DuckDB file, whole (what the audit's kept mirror,
  warehouse.postgres.mirror, holds after each sync; `copy_rows` serves both).

Both sides write and read CSV the same way: NULL is an unquoted empty field, '' is `""`.
"""
from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse.postgres import connect as pg

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as PgCursor

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
# Tables whose rows never change once their submission is loaded (one transaction per file):
# synced by submission_id. Everything else is copied whole on every sync.
ROW_TABLES = frozenset({"raw_investment", "raw_volunteer", "raw_issue", "quarantine", "row_warnings"})

# DuckDB type -> PostgreSQL type, spelled as format_type() prints it (so they compare as text).
_DUCK_TO_PG = {
    "VARCHAR": "character varying", "INTEGER": "integer", "BIGINT": "bigint", "SMALLINT": "smallint",
    "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone", "DOUBLE": "double precision",
    "FLOAT": "real", "UUID": "uuid", "TIME": "time without time zone", "HUGEINT": "numeric(38,0)",
}
_PG_TO_DUCK = {
    "character varying": "VARCHAR", "text": "VARCHAR", "character": "VARCHAR", "integer": "INTEGER",
    "bigint": "BIGINT", "smallint": "SMALLINT", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": "TIMESTAMPTZ",
    "double precision": "DOUBLE", "real": "FLOAT", "uuid": "UUID", "time without time zone": "TIME",
}
_DECIMAL_RE = re.compile(r"^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$", re.IGNORECASE)
_CSV_IN = "(format csv, header false, delim ',', quote '\"', escape '\"', allow_quoted_nulls false)"


def quote(name: str) -> str:
    """A quoted SQL identifier (both engines)."""
    return '"' + name.replace('"', '""') + '"'


_q = quote


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def pg_type(duck_type: str) -> str:
    m = _DECIMAL_RE.match(duck_type.strip())
    if m:
        return f"numeric({m[1]},{m[2]})"
    try:
        return _DUCK_TO_PG[duck_type.strip().upper()]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for DuckDB type {duck_type!r}") from None


def duck_type(pg_type_name: str) -> str:
    m = re.match(r"^numeric\((\d+),(\d+)\)$", pg_type_name)
    if m:
        return f"DECIMAL({m[1]},{m[2]})"
    if pg_type_name == "numeric":   # unconstrained: exact enough for an audit
        return "DECIMAL(38,10)"
    try:
        return _PG_TO_DUCK[pg_type_name]
    except KeyError:
        raise ValueError(f"no DuckDB type for PostgreSQL type {pg_type_name!r}") from None


def pg_columns(cur: PgCursor, schema: str, table: str) -> list[tuple[str, str]]:
    cur.execute("""select a.attname, format_type(a.atttypid, a.atttypmod)
                   from pg_attribute a join pg_class c on c.oid = a.attrelid
                   join pg_namespace n on n.oid = c.relnamespace
                   where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
                   order by a.attnum""", [schema, table])
    return [(name, typ) for name, typ in cur.fetchall()]


def pg_tables(cur: PgCursor, schema: str) -> list[str]:
    cur.execute("""select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where n.nspname = %s and c.relkind in ('r', 'p') order by c.relname""", [schema])
    return [t for (t,) in cur.fetchall()]


def _counts(rows: list[tuple[str | None, int]]) -> dict:
    return {sid: int(n) for sid, n in rows}


def sync_raw(raw_db: Path, pg_dsn: str, schema: str = RAW_SCHEMA) -> dict[str, int]:
    """Make schema `schema` of the PostgreSQL database hold exactly the tables of raw.duckdb.
    One transaction: dbt never sees half a sync. Returns rows copied per table."""
    if not raw_db.is_file():
        raise FileNotFoundError(f"raw database not found: {raw_db}")
    schema = pg.ident(schema)
    with duckdb.connect() as duck, pg.connect(pg_dsn) as con, con, con.cursor() as cur, \
            tempfile.TemporaryDirectory(prefix="campaign-raw-") as tmp:
        duck.execute(f"attach {_lit(raw_db)} as src (read_only)")
        tables = [t for (t,) in duck.execute(
            """select table_name from information_schema.tables where table_catalog = 'src'
               and table_schema = 'main' and table_type = 'BASE TABLE' order by table_name""").fetchall()]
        cur.execute(f"create schema if not exists {_q(schema)}")
        for stale in set(pg_tables(cur, schema)) - set(tables):
            cur.execute(f"drop table {_q(schema)}.{_q(stale)}")
        copied = {table: _sync_table(duck, cur, schema, table, Path(tmp)) for table in tables}
        for table in (t for t, n in copied.items() if n):
            cur.execute(f"analyze {_q(schema)}.{_q(table)}")
    log.info("raw carried over to %s schema %s: %s", pg.safe_dsn(pg_dsn), schema,
             ", ".join(f"{t} +{n}" for t, n in copied.items()))
    return copied


def _sync_table(duck: duckdb.DuckDBPyConnection, cur: PgCursor, schema: str, table: str, tmp: Path) -> int:
    """One raw table: recreate it if its columns changed; row tables copy the submissions
    PostgreSQL lacks (and drop those raw no longer has); other tables are replaced whole."""
    cols = [(c, pg_type(t)) for c, t in duck.execute(
        """select column_name, data_type from information_schema.columns where table_catalog = 'src'
           and table_schema = 'main' and table_name = ? order by ordinal_position""", [table]).fetchall()]
    target = f"{_q(schema)}.{_q(table)}"
    fresh = pg_columns(cur, schema, table) != cols
    if fresh:   # new table, or its columns changed in ingest/raw/schema.sql
        cur.execute(f"drop table if exists {target}")
        cur.execute(f"create table {target} ({', '.join(f'{_q(c)} {t}' for c, t in cols)})")
    want: dict[str, int] = {}
    have: dict[str, int] = {}
    if table in ROW_TABLES and not fresh:
        want = _counts(duck.execute(f"select submission_id, count(*) from src.main.{_q(table)} group by 1").fetchall())
        cur.execute(f"select submission_id, count(*) from {target} group by 1")
        have = _counts(cur.fetchall())
        if None in want or None in have:   # rows without a submission: copy the table whole
            want, have = {}, {}
    where = ""
    if want or have:
        drop = [sid for sid, n in have.items() if want.get(sid) != n]
        add = [sid for sid, n in want.items() if have.get(sid) != n]
        if drop:
            cur.execute(f"delete from {target} where submission_id = any(%s)", [drop])
        if not add:
            return 0
        duck.execute("create or replace temp table wanted as select unnest(?::varchar[]) as submission_id", [add])
        where = " where submission_id in (select submission_id from wanted)"
    elif not fresh:
        cur.execute(f"truncate {target}")
    names = ", ".join(_q(c) for c, _ in cols)
    path = tmp / f"{table}.csv"
    duck.execute(f"copy (select {names} from src.main.{_q(table)}{where}) to {_lit(path)} (format csv, header false)")
    with path.open("rb") as f:
        cur.copy_expert(f"copy {target} ({names}) from stdin with (format csv)", f)
    return cur.rowcount


def mirror_schema(pg_dsn: str, pg_schema: str, duck_path: Path, duck_schema: str = "marts") -> dict[str, int]:
    """Copy every table of a PostgreSQL schema into a new DuckDB file as `duck_schema`."""
    if duck_path.exists():
        duck_path.unlink()
    duck_path.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with pg.connect(pg_dsn) as con, con.cursor() as cur, duckdb.connect(str(duck_path)) as duck, \
            tempfile.TemporaryDirectory(prefix="campaign-mirror-") as tmp:
        cur.execute("set datestyle = 'ISO, YMD'")
        duck.execute(f"create schema if not exists {_q(duck_schema)}")
        for table in pg_tables(cur, pg_schema):
            cols = pg_columns(cur, pg_schema, table)
            target = f"{_q(duck_schema)}.{_q(table)}"
            duck.execute(f"create table {target} (" + ", ".join(f"{_q(c)} {duck_type(t)}" for c, t in cols) + ")")
            copy_rows(cur, duck, pg_schema, table, cols, target, Path(tmp))
            rows[table] = duck.execute(f"select count(*) from {target}").fetchone()[0]
        con.rollback()
    return rows


def copy_rows(cur: PgCursor, duck: duckdb.DuckDBPyConnection, pg_schema: str, table: str,
              cols: list[tuple[str, str]], target: str, tmp: Path, where: str = "") -> int:
    """Append the rows of a PostgreSQL table (`where`: an SQL filter) to the DuckDB table `target`
    through a CSV file (cur in datestyle ISO, YMD); the number appended."""
    select = ", ".join(f"{_q(c)}::text" if t == "boolean" else _q(c) for c, t in cols)
    path = tmp / f"{table}.csv"
    with path.open("wb") as f:
        cur.copy_expert(f"copy (select {select} from {_q(pg_schema)}.{_q(table)}{where}) to stdout with (format csv)", f)
    if not path.stat().st_size:     # DuckDB cannot sniff an empty file (a mart with no rows yet)
        return 0
    return duck.execute(f"copy {target} from {_lit(path)} {_CSV_IN}").fetchone()[0]
