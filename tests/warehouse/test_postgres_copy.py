"""Raw carry-over (raw.duckdb -> PostgreSQL schema raw) and the audit mirror (PostgreSQL -> DuckDB),
on a real raw DuckDB file made by ingest's own schema and a real PostgreSQL database."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.raw import load
from warehouse.postgres.copy import mirror_schema, sync_raw
from tests.pg_warehouse import drop_database, duck_rows, new_database, pg_rows

T0 = dt.datetime(2022, 6, 1, 10, 0, 0, 123456)
TRICKY = ['', '中文,带逗号', 'say "hi"', 'two\nlines', ' padded ', None]


@pytest.fixture
def dsn():
    dsn = new_database("copy")
    yield dsn
    drop_database(dsn)


def _submission(con: duckdb.DuckDBPyConnection, sid: str, rows: int, loaded_at: dt.datetime = T0) -> None:
    con.execute("""insert into submissions (submission_id, city, department_code, kind, period_month, source_file,
                   file_format, loaded_at, rows_in, rows_loaded, rows_quarantined)
                   values (?, '射洪市', 'shehong_wmb', 'volunteer', date '2022-05-01', ?, 'csv', ?, ?, ?, 0)""",
                [sid, f"射洪市/市文明办/volunteer/{sid}.csv", loaded_at, rows, rows])
    for i in range(rows):
        con.execute("""insert into raw_volunteer values (?, ?, ?, ?, ?, '射洪市', 'shehong_wmb', date '2022-05-01',
                       ?, '张*', null, ?, '文明交通劝导', ?, date '2022-05-02', ?)""",
                    [sid, f"{sid}.csv", None, i + 2, loaded_at, "ab" * 32, TRICKY[i % len(TRICKY)],
                     TRICKY[(i + 1) % len(TRICKY)], Decimal("23.75") if i % 2 else Decimal("0.25")])


@pytest.fixture
def raw(tmp_path) -> Path:
    path = tmp_path / "raw.duckdb"
    con = load.connect(path)          # ingest's own schema.sql
    _submission(con, "s1", 6)
    _submission(con, "s2", 2)
    con.close()
    return path


def _same(raw: Path, dsn: str, table: str, order: str) -> None:
    assert duck_rows(raw, f"select * from {table} order by {order}") == \
        pg_rows(dsn, f"select * from raw.{table} order by {order}")


def test_every_raw_table_arrives_exactly(raw, dsn):
    copied = sync_raw(raw, dsn)
    assert copied["raw_volunteer"] == 8 and copied["submissions"] == 2
    tables = {t for (t,) in pg_rows(dsn, "select table_name from information_schema.tables where table_schema = 'raw'")}
    assert tables == {t for (t,) in duck_rows(raw, "select table_name from information_schema.tables")}
    assert {"file_ledger", "submissions", "quarantine", "raw_investment", "raw_volunteer", "raw_issue"} <= tables
    _same(raw, dsn, "raw_volunteer", "submission_id, row_number")
    _same(raw, dsn, "submissions", "submission_id")
    # '' stays '', NULL stays NULL, microseconds and exact decimals survive
    got = pg_rows(dsn, "select team, hours, loaded_at from raw.raw_volunteer where submission_id = 's1' order by row_number")
    assert [g[0] for g in got] == TRICKY
    assert {g[1] for g in got} == {Decimal("0.25"), Decimal("23.75")} and got[0][2] == T0
    types = dict(pg_rows(dsn, """select column_name, format_type(atttypid, atttypmod) from information_schema.columns c
                                 join pg_attribute a on a.attname = c.column_name
                                  and a.attrelid = 'raw.raw_volunteer'::regclass
                                 where table_schema = 'raw' and table_name = 'raw_volunteer'"""))
    assert types["hours"] == "numeric(6,2)" and types["service_date"] == "date"
    assert types["loaded_at"] == "timestamp without time zone"


def test_a_second_sync_copies_only_new_submissions_and_leaves_old_rows_alone(raw, dsn):
    sync_raw(raw, dsn)
    before = pg_rows(dsn, "select submission_id, row_number, xmin::text, ctid::text from raw.raw_volunteer")
    with duckdb.connect(str(raw)) as con:
        _submission(con, "s3", 3, T0 + dt.timedelta(days=1))
    copied = sync_raw(raw, dsn)
    assert copied["raw_volunteer"] == 3 and copied["quarantine"] == 0
    after = pg_rows(dsn, "select submission_id, row_number, xmin::text, ctid::text from raw.raw_volunteer")
    assert set(before) <= set(after)                      # same physical rows, same inserting transaction
    assert sorted(r[0] for r in set(after) - set(before)) == ["s3"] * 3
    _same(raw, dsn, "raw_volunteer", "submission_id, row_number")


def test_sync_follows_changed_bookkeeping_removed_rows_and_new_columns(raw, dsn):
    sync_raw(raw, dsn)
    with duckdb.connect(str(raw)) as con:
        con.execute("update submissions set superseded_by = 's2' where submission_id = 's1'")
        con.execute("delete from raw_volunteer where submission_id = 's2'")
        con.execute("alter table file_ledger add column operator_note varchar")
        con.execute("""insert into file_ledger (receipt_id, run_id, source_file, content_sha256, status, received_at,
                       operator_note) values ('r1', 'run', 'a.csv', 'ff', 'refused', ?, '备注')""", [T0])
    sync_raw(raw, dsn)
    assert pg_rows(dsn, "select superseded_by from raw.submissions where submission_id = 's1'") == [("s2",)]
    assert pg_rows(dsn, "select count(*) from raw.raw_volunteer where submission_id = 's2'") == [(0,)]
    assert pg_rows(dsn, "select operator_note from raw.file_ledger") == [("备注",)]


def test_missing_raw_file_is_a_clear_error(tmp_path, dsn):
    with pytest.raises(FileNotFoundError, match="raw database not found"):
        sync_raw(tmp_path / "nope.duckdb", dsn)


def test_mirror_reads_a_postgres_schema_into_duckdb_unchanged(dsn, tmp_path):
    from warehouse.postgres import connect as pg
    with pg.connect(dsn) as con, con, con.cursor() as cur:
        cur.execute("create schema m")
        cur.execute("""create table m.t (k varchar, amount numeric(18,2), rate numeric(9,4), flag boolean,
                       d date, ts timestamp, n integer, big bigint)""")
        cur.execute("""insert into m.t values ('', 1234567890123456.78, 0.3333, true, '2022-05-31',
                       '2022-06-01 10:00:00.123456', 7, 9000000000),
                       (null, null, null, false, null, null, null, null), ('中文 "引号",逗号', 0.01, 1, null, null, null, -1, 0)""")
    rows = mirror_schema(dsn, "m", tmp_path / "mirror.duckdb", duck_schema="marts")
    assert rows == {"t": 3}
    order = "order by n nulls first"
    assert duck_rows(tmp_path / "mirror.duckdb", f"select * from marts.t {order}") == \
        pg_rows(dsn, f"select * from m.t {order}")
    types = duck_rows(tmp_path / "mirror.duckdb", """select data_type from information_schema.columns
                                                    where table_name = 't' order by ordinal_position""")
    assert [t for (t,) in types] == ["VARCHAR", "DECIMAL(18,2)", "DECIMAL(9,4)", "BOOLEAN", "DATE", "TIMESTAMP",
                                     "INTEGER", "BIGINT"]
