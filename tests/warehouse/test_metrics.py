"""The semantic layer (MetricFlow over the marts), on DuckDB and PostgreSQL, through scripts/mf as a
user runs it: every metric per department and month equals mart_department_scorecard (rates are
ratios of sums, the scorecard rounds them to 4 decimals), and per city they equal plain SQL over
the marts. On PostgreSQL mf connects as the read-only BI role."""
from __future__ import annotations

import csv
import os
import subprocess
from decimal import Decimal

import pytest

from warehouse.postgres import connect as pg
from tests.conftest import REPO
from tests.pg_warehouse import duck_rows, pg_rows

pytestmark = pytest.mark.slow

METRICS = ["planned_investment_yuan", "cumulative_investment_yuan", "investment_completion_rate", "volunteer_hours",
           "active_volunteers", "star_volunteers", "issues_found", "issues_rectified", "rectification_rate",
           "on_time_rate", "mean_days_to_rectify"]
# scorecard column -> (metric, decimals the scorecard rounds it to; None = exact)
SCORECARD = {"planned_amount_yuan": ("planned_investment_yuan", None),
             "cumulative_amount_yuan": ("cumulative_investment_yuan", None),
             "investment_completion_rate": ("investment_completion_rate", 4),
             "volunteer_hours": ("volunteer_hours", None), "active_volunteers": ("active_volunteers", None),
             "issues_found": ("issues_found", None), "issues_rectified": ("issues_rectified", None),
             "rectification_rate": ("rectification_rate", 4), "on_time_rate": ("on_time_rate", 4),
             "mean_days_to_rectify": ("mean_days_to_rectify", 2)}



def mf_query(built, target: str, tmp_path, metrics: list[str], group_by: str) -> list[dict[str, str]]:
    out = tmp_path / f"{target}-{group_by.replace(',', '-')}.csv"
    env = {**os.environ, "CAMPAIGN_HOME": str(built.paths.home), "CAMPAIGN_TARGET": target}
    if target == "postgres":
        parts = pg.dsn_parts(built.dsn)
        env["CAMPAIGN_PG_DSN"] = (f"postgresql://{built.bi_role}:{built.bi_password}@{parts.get('host', '127.0.0.1')}"
                                  f":{parts.get('port', '5432')}/{parts['dbname']}")
    done = subprocess.run([str(REPO / "scripts" / "mf"), "query", "--metrics", ",".join(metrics),
                           "--group-by", group_by, "--csv", str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    with out.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sql(built, target: str, query: str) -> list[tuple]:
    return duck_rows(built.duck, query) if target == "duckdb" else pg_rows(built.dsn, query)


def number(text: str | None) -> Decimal | None:
    return None if text in (None, "", "None") else Decimal(text)


def same(expected, got: Decimal | None, decimals: int | None) -> bool:
    if expected is None or got is None:
        return expected == got
    if decimals is None:
        return abs(Decimal(expected) - got) < Decimal("0.000001")
    return abs(Decimal(expected) - got) <= Decimal(1).scaleb(-decimals) / 2 + Decimal("0.000001")


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_every_metric_by_department_and_month_equals_the_scorecard(built, target, tmp_path):
    rows = mf_query(built, target, tmp_path, METRICS, "department,metric_time__month")
    got = {(r["department"], r["metric_time__month"][:10]): r for r in rows}
    scorecard = sql(built, target, f"""select department_code, cast(period_month as varchar), {', '.join(SCORECARD)}
                                       from marts.mart_department_scorecard""")
    assert scorecard and got
    checked = 0
    for code, month, *values in scorecard:
        metrics = got.get((code, month), {})
        for (column, (metric, decimals)), expected in zip(SCORECARD.items(), values):
            value = number(metrics.get(metric))
            if expected == 0 and value is None and decimals is None:
                value = Decimal(0)      # the scorecard writes 0 where nothing happened
            assert same(expected, value, decimals), (code, month, column, expected, value)
            checked += expected is not None
    assert checked > 1000


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_metrics_by_city_equal_plain_sql_over_the_marts(built, target, tmp_path):
    rows = mf_query(built, target, tmp_path, ["planned_investment_yuan", "rectification_rate", "star_volunteers",
                                              "active_volunteers", "volunteer_hours"], "city__name")
    got = {r["city__name"]: r for r in rows}
    expected = sql(built, target, """
        with served as (select distinct city, volunteer_key from marts.fct_volunteer_hours)
        select c.city,
               (select sum(planned_amount_yuan) from marts.fct_investment_latest i where i.city = c.city),
               (select 1.0 * sum(case when is_rectified then 1 else 0 end) / count(*)
                from marts.fct_issue_closure x where x.city = c.city),
               (select count(*) from served s join marts.dim_volunteer v on v.volunteer_key = s.volunteer_key
                where s.city = c.city and v.star_level >= 1),
               (select count(*) from served s where s.city = c.city),
               (select sum(hours) from marts.fct_volunteer_hours h where h.city = c.city)
        from marts.dim_city c order by c.city""")
    assert len(expected) == 4 and set(got) == {e[0] for e in expected}
    for city, planned, rate, stars, volunteers, hours in expected:
        row = got[city]
        assert number(row["planned_investment_yuan"]) == planned
        assert same(rate, number(row["rectification_rate"]), 6)
        assert number(row["star_volunteers"]) == stars and number(row["active_volunteers"]) == volunteers
        assert number(row["volunteer_hours"]) == hours
    assert number(got["格尔木市"]["planned_investment_yuan"]) == Decimal("380000000.00")


def test_time_answers_at_quarter_and_day_grain(built, tmp_path):
    quarters = mf_query(built, "duckdb", tmp_path, ["volunteer_hours"], "metric_time__quarter")
    expected = dict(sql(built, "duckdb", """select d.quarter_label, sum(h.hours) from marts.fct_volunteer_hours h
                                            join marts.dim_date d on d.date_day = h.service_date group by 1"""))
    got = {f"{r['metric_time__quarter'][:4]}Q{(int(r['metric_time__quarter'][5:7]) - 1) // 3 + 1}":
           number(r["volunteer_hours"]) for r in quarters}
    assert got == expected and got
    days = mf_query(built, "duckdb", tmp_path, ["issues_found"], "metric_time__day")
    expected = dict(sql(built, "duckdb", """select cast(found_date as varchar), count(*) from marts.fct_issue_closure
                                            group by 1"""))
    assert {r["metric_time__day"][:10]: int(number(r["issues_found"])) for r in days} == expected
