"""On the demo warehouses built on both targets: each city's BI login reads, in every mart, exactly
the rows the published DuckDB marts hold for its city, the province-wide login reads them all,
and the published DuckDB file holds no schema but the marts (and BI views)."""
from __future__ import annotations

import psycopg2
import psycopg2.errors
import pytest
from psycopg2.extensions import make_dsn

from tests.pg_warehouse import duck_rows, pg_rows

pytestmark = pytest.mark.slow
# Built by each target's own audit run: the figures differ between targets, not the rule.
RUN_LOGS = {"mart_data_quality"}
CITY_ROWS = {"dim_volunteer": "volunteer_key in (select volunteer_key from marts.fct_volunteer_hours where city = '{}')",
             "dim_date": "true"}


def _count_as(dsn: str, role: str, table: str) -> int:
    con = psycopg2.connect(make_dsn(dsn, user=role))
    try:
        with con.cursor() as cur:
            cur.execute(f'select count(*) from marts."{table}"')
            return cur.fetchone()[0]
    finally:
        con.close()


def _city_tables(built) -> dict[str, bool]:
    """mart -> has a city column (PostgreSQL and DuckDB publish the same marts)."""
    sql = """select table_name, bool_or(column_name = 'city') from information_schema.columns
             where table_schema = 'marts' group by 1 order by 1"""
    tables = dict(pg_rows(built.dsn, sql))
    assert tables == dict(duck_rows(built.duck, sql)) and len(tables) >= 9
    return tables


def test_city_logins_read_their_citys_rows_of_every_mart(built):
    cities = duck_rows(built.duck, "select city_code, city from marts.dim_city order by 1")
    assert len(cities) == 4
    tables = _city_tables(built)
    for table, has_city in tables.items():
        total = duck_rows(built.duck, f'select count(*) from marts."{table}"')[0][0]
        if table not in RUN_LOGS:
            assert _count_as(built.dsn, built.bi_role, table) == total, table
        if not has_city and table not in CITY_ROWS:
            for code, _ in cities:
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    _count_as(built.dsn, f"{built.bi_role}_{code}", table)
            continue
        seen = []
        for code, city in cities:
            rows = CITY_ROWS.get(table, "city = '{}'").format(city)
            if table in RUN_LOGS:
                expected = pg_rows(built.dsn, f'select count(*) from marts."{table}" where {rows}')[0][0]
            else:
                expected = duck_rows(built.duck, f'select count(*) from marts."{table}" where {rows}')[0][0]
            seen.append(_count_as(built.dsn, f"{built.bi_role}_{code}", table))
            assert seen[-1] == expected, (table, city)
        if table == "dim_date":
            assert seen == [total] * 4
        elif table not in RUN_LOGS:
            assert 0 < min(seen) and max(seen) < total, (table, seen)   # each city some rows, none all


def test_the_published_duckdb_file_holds_the_marts_only(built):
    objects = duck_rows(built.duck, """select schema_name, table_name from duckdb_tables()
                                       union all select schema_name, view_name from duckdb_views() where not internal""")
    assert {s for s, _ in objects} <= {"marts", "bi_zh"} and len(objects) >= 9
    schemas = duck_rows(built.duck, "select schema_name from duckdb_schemas() where not internal "
                                    "and database_name = current_database()")
    assert {s for (s,) in schemas} <= {"marts", "bi_zh"}
    assert {"staging", "intermediate", "seeds"} <= {s for (s,) in duck_rows(
        built.paths.state_db, "select schema_name from duckdb_schemas()")}
