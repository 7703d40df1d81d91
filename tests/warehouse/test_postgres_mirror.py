"""The audit's kept DuckDB mirror of a PostgreSQL schema (warehouse.postgres.mirror): after any
change it holds exactly what a whole copy holds, and it copies only the submissions (and builds)
whose rows changed. Real PostgreSQL, real DuckDB files."""
from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.postgres import connect as pg
from warehouse.postgres.copy import mirror_schema
from warehouse.postgres.mirror import sync_mirror
from tests.pg_warehouse import drop_database, duck_rows, new_database

T0, T1, T2 = "2022-06-01 10:00:00.123456", "2022-07-01 10:00:00", "2022-08-01 10:00:00.5"


@pytest.fixture
def dsn():
    dsn = new_database("mirror")
    with pg.connect(dsn) as con, con, con.cursor() as cur:
        cur.execute("create schema m")
        cur.execute("""create table m.fact (record_id varchar, submission_id varchar, built_at timestamp,
                       hours numeric(6,2), flag boolean, note varchar)""")
        cur.execute("create table m.dim (k varchar, n integer)")
        cur.execute("insert into m.dim values ('a', 1), (null, null)")
        for sid, built, rows in (("s1", T0, 3), ("s2", T0, 2), ("s3", T1, 10)):
            _add(cur, sid, built, rows)
    yield dsn
    drop_database(dsn)


def _add(cur, sid: str, built: str, rows: int) -> None:
    for i in range(rows):
        cur.execute("insert into m.fact values (%s, %s, %s, %s, %s, %s)",
                    [f"{sid}-{i}", sid, built, 1.5 + i, i % 2 == 0, ['', 'say "hi"', None, '中文,逗号'][i % 4]])


def _run(dsn: str, *sql: str) -> None:
    with pg.connect(dsn) as con, con, con.cursor() as cur:
        for statement in sql:
            cur.execute(statement)


def _content(db: Path) -> dict[str, list[tuple]]:
    """Every table of schema marts: column names and types, and its rows (sorted)."""
    tables = [t for (t,) in duck_rows(db, "select table_name from duckdb_tables() where schema_name = 'marts' order by 1")]
    return {t: (duck_rows(db, f"select column_name, data_type from information_schema.columns where table_schema = "
                              f"'marts' and table_name = '{t}' order by ordinal_position"),
                sorted(duck_rows(db, f"select * from marts.{t}"), key=repr)) for t in tables}


def _same_as_a_whole_copy(dsn: str, db: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole.duckdb"
    mirror_schema(dsn, "m", whole)
    assert _content(db) == _content(whole)


def test_a_kept_mirror_copies_only_what_changed_and_holds_what_a_whole_copy_holds(dsn, tmp_path):
    db = tmp_path / "mirror.duckdb"
    assert sync_mirror(dsn, "m", db) == {"dim": (2, 2), "fact": (15, 15)}     # first: everything
    _same_as_a_whole_copy(dsn, db, tmp_path)
    assert sync_mirror(dsn, "m", db) == {"dim": (2, 2), "fact": (0, 15)}      # nothing changed
    with pg.connect(dsn) as con, con, con.cursor() as cur:
        _add(cur, "s4", T2, 2)                                                  # a new build's rows
        cur.execute("delete from m.fact where submission_id = 's2'")            # a superseded submission
        cur.execute("update m.fact set note = 'changed' where record_id = 's1-1'")   # behind the build's back
        cur.execute("update m.dim set n = 2 where k = 'a'")
    assert sync_mirror(dsn, "m", db) == {"dim": (2, 2), "fact": (3 + 2, 15)}  # s1 again and s4
    _same_as_a_whole_copy(dsn, db, tmp_path)
    assert duck_rows(db, "select tbl, copied, total from mirror_meta.synced order by 1") == [("dim", 2, 2), ("fact", 5, 15)]


def test_a_submission_rebuilt_is_copied_again_and_a_full_refresh_makes_a_new_file(dsn, tmp_path):
    """Another build wrote the same submission (a failed audit's candidate), then every one (a full refresh)."""
    db = tmp_path / "mirror.duckdb"
    sync_mirror(dsn, "m", db)
    _run(dsn, "update m.fact set built_at = '2022-09-01' where submission_id = 's1'")
    assert sync_mirror(dsn, "m", db)["fact"] == (3, 15)
    _same_as_a_whole_copy(dsn, db, tmp_path)
    _run(dsn, "update m.fact set built_at = '2022-10-01'")
    assert sync_mirror(dsn, "m", db)["fact"] == (15, 15)
    _same_as_a_whole_copy(dsn, db, tmp_path)
    assert sync_mirror(dsn, "m", db)["fact"] == (0, 15)      # the new file keeps its notes


def test_new_columns_a_null_submission_and_a_dropped_table_are_followed(dsn, tmp_path):
    db = tmp_path / "mirror.duckdb"
    sync_mirror(dsn, "m", db)
    _run(dsn, "alter table m.fact add column extra integer default 7")
    assert sync_mirror(dsn, "m", db)["fact"] == (15, 15)                      # columns changed: whole
    _same_as_a_whole_copy(dsn, db, tmp_path)
    _run(dsn, "insert into m.fact (record_id) values ('orphan')", "drop table m.dim")
    assert sync_mirror(dsn, "m", db) == {"fact": (16, 16)}                     # a null submission: whole
    _same_as_a_whole_copy(dsn, db, tmp_path)


def test_an_unreadable_mirror_is_started_again(dsn, tmp_path):
    db = tmp_path / "mirror.duckdb"
    db.write_bytes(b"not a database")
    assert sync_mirror(dsn, "m", db)["fact"] == (15, 15)
    _same_as_a_whole_copy(dsn, db, tmp_path)


def test_a_volunteer_table_is_copied_by_the_groups_of_keys_that_changed(dsn, tmp_path):
    keys = [f"{p}{i:060x}" for p, n in (("0000", 10), ("0001", 3), ("abcd", 3)) for i in range(n)]
    _run(dsn, "create table m.vol (volunteer_key varchar, total numeric(18,2))",
         "insert into m.vol values " + ", ".join(f"('{k}', {n})" for n, k in enumerate(keys)))
    db = tmp_path / "mirror.duckdb"
    assert sync_mirror(dsn, "m", db)["vol"] == (16, 16)
    _run(dsn, f"update m.vol set total = 99 where volunteer_key = '{keys[11]}'",
         f"delete from m.vol where volunteer_key = '{keys[15]}'", "insert into m.vol values ('ffff01', 1)")
    assert sync_mirror(dsn, "m", db)["vol"] == (3 + 2 + 1, 16)     # the groups 0001, abcd and ffff
    _same_as_a_whole_copy(dsn, db, tmp_path)
