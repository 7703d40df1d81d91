"""The published DuckDB file holds what analysts may read and nothing else: the schemas of
PUBLISHED_SCHEMAS (the marts and the BI views), copied out of an audited build into a new file.

The build itself (staging, intermediate, seeds, the incremental models' state) stays in the
operators' build file. Copying into a fresh file, rather than dropping schemas from a copy,
leaves no page of the other schemas in the published bytes. Tables keep their constraints
(the CREATE statement DuckDB keeps for them) and their comments; views are created again from
their own SQL, in dependency order as DuckDB lists them.
"""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

PUBLISHED_SCHEMAS = ("marts", "bi_zh")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_published(build: Path, dest: Path) -> dict[str, int]:
    """Write `dest` (a new file, same name as the published one so that views naming the catalog
    still resolve) with the published schemas of `build`. Returns rows per table."""
    import duckdb

    for stale in (dest, dest.with_name(dest.name + ".wal")):
        stale.unlink(missing_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    wanted = ", ".join(_literal(s) for s in PUBLISHED_SCHEMAS)
    with duckdb.connect(str(dest)) as con:
        con.execute(f"attach {_literal(str(build))} as build (read_only)")
        schemas = [s for (s,) in con.execute(
            f"select schema_name from duckdb_schemas() where database_name = 'build' and schema_name in ({wanted})"
            " order by schema_name").fetchall()]
        con.execute("begin transaction")
        for schema in schemas:
            con.execute(f'create schema "{schema}"')
        tables = con.execute(f"""select schema_name, table_name, sql, comment from duckdb_tables()
                                 where database_name = 'build' and schema_name in ({wanted})
                                 order by schema_name, table_name""").fetchall()
        for schema, table, create, comment in tables:
            con.execute(create)
            rows[f"{schema}.{table}"] = con.execute(
                f'insert into "{schema}"."{table}" select * from build."{schema}"."{table}"').fetchone()[0]
            if comment:
                con.execute(f'comment on table "{schema}"."{table}" is {_literal(comment)}')
        views = con.execute(f"""select schema_name, view_name, sql, comment from duckdb_views()
                                where database_name = 'build' and schema_name in ({wanted}) and not internal
                                order by view_oid""").fetchall()
        for schema, view, create, comment in views:
            con.execute(create)
            if comment:
                con.execute(f'comment on view "{schema}"."{view}" is {_literal(comment)}')
        for schema, table, column, comment in con.execute(
                f"""select schema_name, table_name, column_name, comment from duckdb_columns()
                    where database_name = 'build' and schema_name in ({wanted}) and comment is not null""").fetchall():
            con.execute(f'comment on column "{schema}"."{table}"."{column}" is {_literal(comment)}')
        con.execute("commit")
        con.execute("detach build")
        con.execute("checkpoint")
    log.info("published schemas %s: %d tables, %d views", ", ".join(schemas), len(tables), len(views))
    return rows
