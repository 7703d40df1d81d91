"""What a BI tool sees in the published warehouses, on DuckDB and PostgreSQL: a comment on every
mart and mart column (from dbt's docs, through the publish), relation comments that state the
grain and what may be summed, a project table that is safe to sum, month and quarter labels, and
schema bi_zh with Chinese column names that the BI role reads as the caller."""
from __future__ import annotations

import re
from decimal import Decimal

import psycopg2
import pytest

from warehouse.postgres import connect as pg
from tests.pg_warehouse import duck_rows, pg_rows

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")
DUCK_COMMENTS = """select table_name, column_name, comment from duckdb_columns()
                   where schema_name = '{schema}' and not internal order by 1, column_index"""
PG_COMMENTS = """select c.relname, a.attname, col_description(c.oid, a.attnum)
                 from pg_attribute a join pg_class c on c.oid = a.attrelid
                 join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = %s and c.relkind in ('r', 'v') and a.attnum > 0 and not a.attisdropped
                 order by 1, a.attnum"""



def _rows(built, target: str, duck_sql: str, pg_sql: str | None = None, params=None) -> list[tuple]:
    if target == "duckdb":
        return duck_rows(built.duck, duck_sql)
    return pg_rows(built.dsn, pg_sql or duck_sql, params)


def column_comments(built, target: str, schema: str) -> list[tuple]:
    return _rows(built, target, DUCK_COMMENTS.format(schema=schema), PG_COMMENTS, [schema])


def relation_comments(built, target: str, schema: str) -> dict[str, str]:
    return dict(_rows(built, target,
                      f"select table_name, comment from duckdb_tables() where schema_name = '{schema}' union all "
                      f"select view_name, comment from duckdb_views() where schema_name = '{schema}'",
                      "select c.relname, obj_description(c.oid, 'pg_class') from pg_class c join pg_namespace n "
                      "on n.oid = c.relnamespace where n.nspname = %s and c.relkind in ('r', 'v')", [schema]))


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_every_published_mart_column_carries_its_bilingual_comment(built, target):
    comments = column_comments(built, target, "marts")
    assert len({t for t, _, _ in comments}) >= 12
    bare = [(t, c) for t, c, text in comments if not (text and CJK.search(text) and re.search("[A-Za-z]{3}", text))]
    assert not bare


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_every_mart_comment_states_its_grain_and_what_may_be_summed(built, target):
    comments = relation_comments(built, target, "marts")
    assert "fct_investment_latest" in comments
    for table, text in comments.items():
        assert text and "粒度" in text and "Grain:" in text, table
    assert "never across months" in comments["fct_investment"]
    assert "current totals" in comments["fct_investment_latest"]


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_the_latest_investment_holds_each_projects_last_reported_month(built, target):
    cols = "select {} from marts.{} order by city, project_code"
    comments = column_comments(built, target, "marts")
    names = [c for t, c, _ in comments if t == "fct_investment"]
    assert [c for t, c, _ in comments if t == "fct_investment_latest"] == names
    expected = _rows(built, target, f"""select {', '.join(names)} from marts.fct_investment f
        where period_month = (select max(period_month) from marts.fct_investment g
                              where g.city = f.city and g.project_code = f.project_code)
        order by city, project_code""")
    assert _rows(built, target, cols.format(", ".join(names), "fct_investment_latest")) == expected
    assert len(expected) == len(_rows(built, target, "select distinct city, project_code from marts.fct_investment"))
    by_city = dict(_rows(built, target,
                         "select city, sum(planned_amount_yuan) from marts.fct_investment_latest group by city"))
    naive = dict(_rows(built, target, "select city, sum(planned_amount_yuan) from marts.fct_investment group by city"))
    assert by_city["格尔木市"] == Decimal("380000000.00") < naive["格尔木市"]


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_month_and_quarter_labels_follow_the_month(built, target):
    for table in ("fct_investment", "fct_issue_status_history", "mart_department_scorecard", "mart_submission_status"):
        rows = _rows(built, target, f"select distinct period_month, month_label, quarter_label from marts.{table}")
        assert rows, table
        for month, label, quarter in rows:
            assert (label, quarter) == (f"{month:%Y-%m}", f"{month.year}Q{(month.month - 1) // 3 + 1}"), table
    assert _rows(built, target, "select month_label, quarter_label from marts.dim_date where date_day = date '2022-05-17'"
                 ) == [("2022-05", "2022Q2")]


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_bi_zh_shows_every_mart_with_chinese_column_names_and_comments(built, target):
    marts = {t: c for t, c in relation_comments(built, target, "marts").items()}
    views = relation_comments(built, target, "bi_zh")
    assert set(views) == set(marts)
    assert {t: c.strip() for t, c in views.items()} == {t: c.strip() for t, c in marts.items()}
    columns = column_comments(built, target, "bi_zh")
    assert all(CJK.search(name) and text for _, name, text in columns)
    names = {(t, n) for t, n, _ in columns}
    assert ("fct_investment", "项目编号") in names and ("fct_investment", "计划总投资（元）") in names
    for table in marts:
        assert _rows(built, target, f'select count(*) from bi_zh."{table}"') == _rows(
            built, target, f'select count(*) from marts."{table}"'), table
    assert _rows(built, target, 'select sum("计划总投资（元）") from bi_zh.fct_investment_latest where "城市" = \'格尔木市\''
                 ) == [(Decimal("380000000.00"),)]


def test_the_bi_role_reads_bi_zh_as_itself_on_postgres(built):
    """Views run with the caller's rights (security_invoker), so a row filter on a mart holds through them."""
    options = pg_rows(built.dsn, """select c.relname, c.reloptions from pg_class c join pg_namespace n
                                    on n.oid = c.relnamespace where n.nspname = 'bi_zh' and c.relkind = 'v'""")
    assert options and all("security_invoker=true" in (opts or []) for _, opts in options)
    parts = pg.dsn_parts(built.dsn)
    con = psycopg2.connect(host=parts.get("host", "127.0.0.1"), port=parts.get("port", "5432"), dbname=parts["dbname"],
                           user=built.bi_role, password=built.bi_password)
    try:
        with con.cursor() as cur:
            cur.execute('select count(*) from bi_zh.mart_department_scorecard')
            assert cur.fetchone()[0] > 0
            with pytest.raises(psycopg2.Error):
                cur.execute('select count(*) from staging.stg_investments')
    finally:
        con.close()
