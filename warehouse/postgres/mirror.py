"""The audit's DuckDB mirror of a PostgreSQL schema, kept from one audit to the next: each sync
moves only the rows that changed since the last one.

A table with a `submission_id` column is compared group by group: a group is a submission (and,
where the table has one, the `built_at` of the build that wrote its rows); a table of volunteers
(`volunteer_key`, a hex digest) by the key's first four digits. PostgreSQL counts each group's
rows and sums a hash of every row (all its columns); a group whose count or sum differs from what
the mirror noted when it last copied the group, or that is gone, is deleted from the mirror, and
the groups new or changed are copied. Every other table (small: registry, calendar, bookkeeping) is
copied whole. So the mirror holds the rows a whole copy (copy.mirror_schema) would, whatever
changed in between (a full refresh, a failed audit's candidate, a row changed by hand), barring a
collision of the sums; a first sync, a table whose columns changed or a group key that is null
copy the table whole. One DuckDB transaction, or a new file renamed into place: a crash leaves
the mirror as it was.
"""
from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse.postgres import connect as pg
from warehouse.postgres.copy import copy_rows, duck_type, pg_columns, pg_tables, quote as _q

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as PgCursor

log = logging.getLogger(__name__)

META = "mirror_meta"        # the mirror's own notes, in a schema the audit's queries never read
GROUP_COLUMNS = ("submission_id", "built_at")


@dataclass(frozen=True)
class _Table:
    """A PostgreSQL table as the sync sees it: columns, group key and groups (None: copied whole)."""

    name: str
    cols: list[tuple[str, str]]
    keys: list[tuple[str, str]]
    groups: dict[tuple, tuple[int, str]] | None

    @property
    def signature(self) -> str:
        return json.dumps(self.cols)


def sync_mirror(pg_dsn: str, pg_schema: str, duck_path: Path, duck_schema: str = "marts") -> dict[str, tuple[int, int]]:
    """Bring the DuckDB file at duck_path up to date with every table of a PostgreSQL schema (as
    `duck_schema`). Returns {table: (rows copied, rows now)}; the same is noted in mirror_meta.synced.
    When less than half of the grouped rows could stay (a first sync, a full refresh), a new file
    replaces the old one: faster than deleting nearly everything."""
    with pg.connect(pg_dsn) as con, con.cursor() as cur, tempfile.TemporaryDirectory(prefix="campaign-mirror-") as tmp:
        con.set_session(isolation_level="REPEATABLE READ", readonly=True)   # one snapshot for every table
        cur.execute("set datestyle = 'ISO, YMD'")
        plan = [_plan(cur, pg_schema, table) for table in pg_tables(cur, pg_schema)]
        duck = _open(duck_path)
        try:
            kept = _worth_keeping(duck, plan, duck_schema)
            if kept:
                moved = _apply(cur, duck, plan, pg_schema, duck_schema, Path(tmp))
        finally:
            duck.close()
        if not kept:
            new = duck_path.with_name(f".{duck_path.name}.new")
            for leftover in (new, new.with_name(new.name + ".wal")):   # of a sync that crashed
                leftover.unlink(missing_ok=True)
            with duckdb.connect(str(new)) as duck:
                moved = _apply(cur, duck, plan, pg_schema, duck_schema, Path(tmp))
            duck_path.with_name(duck_path.name + ".wal").unlink(missing_ok=True)
            new.replace(duck_path)
        con.rollback()
    return moved


def _plan(cur: PgCursor, pg_schema: str, table: str) -> _Table:
    cols = pg_columns(cur, pg_schema, table)
    keys = _group_keys(cols)
    groups = _pg_groups(cur, pg_schema, table, keys) if keys else None
    if groups is not None and any(None in g for g in groups):
        groups = None       # a row without a submission: copied whole
    return _Table(table, cols, keys, groups)


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    """The kept mirror; a new one when there is none or it cannot be opened (it is only a copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as exc:
        log.warning("audit mirror %s unreadable (%s): starting a new one", path, str(exc).splitlines()[0])
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        return duckdb.connect(str(path))


def _duck_tables(duck: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {t for (t,) in duck.execute("select table_name from duckdb_tables() where database_name = current_database() "
                                       "and schema_name = ?", [schema]).fetchall()}


def _noted(duck: duckdb.DuckDBPyConnection, table: _Table, duck_schema: str) -> dict[tuple, tuple[int, str]]:
    """The groups the mirror holds of a table as last copied ({} when it must be copied whole)."""
    if table.groups is None or table.name not in _duck_tables(duck, duck_schema) or duck.execute(
            f"select columns from {META}.tables where tbl = ?", [table.name]).fetchall() != [(table.signature,)]:
        return {}
    return {tuple(g): (n, h) for g, n, h in duck.execute(f"select g, n, h from {META}.groups where tbl = ?",
                                                         [table.name]).fetchall()}


def _worth_keeping(duck: duckdb.DuckDBPyConnection, plan: list[_Table], duck_schema: str) -> bool:
    """Whether at least half of the grouped tables' rows can stay as they are."""
    if META not in {s for (s,) in duck.execute("select schema_name from duckdb_schemas()").fetchall()}:
        return False
    total = kept = 0
    for table in (t for t in plan if t.groups is not None):
        noted = _noted(duck, table, duck_schema)
        total += sum(n for n, _ in table.groups.values())
        kept += sum(n for g, (n, h) in table.groups.items() if noted.get(g) == (n, h))
    return kept * 2 >= total > 0


def _apply(cur: PgCursor, duck: duckdb.DuckDBPyConnection, plan: list[_Table], pg_schema: str,
           duck_schema: str, tmp: Path) -> dict[str, tuple[int, int]]:
    """The plan carried out on `duck`, in one transaction."""
    names = [t.name for t in plan]
    duck.execute("begin")
    try:
        duck.execute(f"create schema if not exists {_q(duck_schema)}")
        duck.execute(f"create schema if not exists {META}")
        duck.execute(f"create table if not exists {META}.tables (tbl varchar primary key, columns varchar)")
        duck.execute(f"create table if not exists {META}.groups (tbl varchar, g varchar[], n bigint, h varchar)")
        duck.execute(f"create or replace table {META}.synced (tbl varchar, copied bigint, total bigint)")
        for stale in _duck_tables(duck, duck_schema) - set(names):
            duck.execute(f"drop table {_q(duck_schema)}.{_q(stale)}")
        duck.execute(f"delete from {META}.tables where not list_contains(?, tbl)", [names])
        duck.execute(f"delete from {META}.groups where not list_contains(?, tbl)", [names])
        moved = {}
        for table in plan:
            moved[table.name] = _sync_table(cur, duck, table, pg_schema, duck_schema, tmp)
            duck.execute(f"insert into {META}.synced values (?, ?, ?)", [table.name, *moved[table.name]])
        duck.execute("commit")
    except BaseException:
        duck.execute("rollback")
        raise
    return moved


def _sync_table(cur: PgCursor, duck: duckdb.DuckDBPyConnection, table: _Table, pg_schema: str,
                duck_schema: str, tmp: Path) -> tuple[int, int]:
    cols, keys, groups = table.cols, table.keys, table.groups
    target = f"{_q(duck_schema)}.{_q(table.name)}"
    noted = _noted(duck, table, duck_schema)
    keep = {g for g, nh in noted.items() if groups.get(g) == nh} if groups is not None else set()
    if not keep:        # nothing to keep: (re)create the table and copy it whole
        duck.execute(f"drop table if exists {target}")
        duck.execute(f"create table {target} (" + ", ".join(f"{_q(c)} {duck_type(t)}" for c, t in cols) + ")")
        copied = copy_rows(cur, duck, pg_schema, table.name, cols, target, tmp)
    else:
        stale = [g for g in noted if g not in keep]
        if stale:
            _delete_groups(duck, target, keys, stale)
        wanted = [g for g in groups if g not in keep]
        copied = 0
        if wanted:
            where = f"{keys[0][0]}::text = any(%s)" if len(keys) == 1 else (
                f"({', '.join(k + '::text' for k, _ in keys)}) in (select * from unnest("
                + ", ".join(["%s::text[]"] * len(keys)) + "))")
            copied = copy_rows(cur, duck, pg_schema, table.name, cols, target, tmp,
                               cur.mogrify(" where " + where, [list(c) for c in zip(*wanted)]).decode())
    duck.execute(f"delete from {META}.tables where tbl = ?", [table.name])
    duck.execute(f"insert into {META}.tables values (?, ?)", [table.name, table.signature])
    duck.execute(f"delete from {META}.groups where tbl = ?", [table.name])
    if groups:
        g, nh = list(groups), list(groups.values())
        duck.execute(f"insert into {META}.groups select ?, unnest(?::varchar[][]), unnest(?::bigint[]), "
                     "unnest(?::varchar[])", [table.name, [list(k) for k in g], [n for n, _ in nh], [h for _, h in nh]])
    total = duck.execute(f"select count(*) from {target}").fetchone()[0]
    return copied, total


def _group_keys(cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The group key of a table with these columns: (SQL expression, its PostgreSQL type) for each
    part, the same in both engines; none for a table copied whole."""
    types = dict(cols)
    if "submission_id" in types:
        return [(_q(c), types[c]) for c in GROUP_COLUMNS if c in types]
    if "volunteer_key" in types:    # a row per volunteer (keys are hex digests): 65,536 groups by the first 4
        return [('left("volunteer_key", 4)', "character varying")]
    return []


def _pg_groups(cur: PgCursor, schema: str, table: str, keys: list[tuple[str, str]]) -> dict[tuple, tuple[int, str]]:
    """{group key as text: (rows, digest of the sum of the rows' hashes)} of a PostgreSQL table.
    hash_record hashes each column by its type, without printing the row (a third of the time of
    hashing its text). The sum is kept as an md5 digest: a bare 11-digit sum reads like a mobile
    number to anyone scanning the mirror for personal data."""
    key = ", ".join(f"{k}::text" for k, _ in keys)
    cur.execute(f"select {key}, count(*), md5(coalesce(sum(hash_record(t)), 0)::text) from {_q(schema)}.{_q(table)} "
                f"as t group by {key}")
    return {tuple(r[:-2]): (int(r[-2]), r[-1]) for r in cur.fetchall()}


def _delete_groups(duck: duckdb.DuckDBPyConnection, target: str, keys: list[tuple[str, str]],
                   stale: list[tuple]) -> None:
    """Delete the mirror's rows of these groups (keys as PostgreSQL printed them, read as their type)."""
    duck.execute("create or replace temp table mirror_stale as select "
                 + ", ".join(f"cast(unnest(?::varchar[]) as {duck_type(t)}) as g{i}" for i, (_, t) in enumerate(keys)),
                 [list(c) for c in zip(*stale)])
    duck.execute(f"delete from {target} using mirror_stale as s where "
                 + " and ".join(f"{k} = s.g{i}" for i, (k, _) in enumerate(keys)))
