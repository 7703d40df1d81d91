"""The mart quality gate on a real DuckDB file: valid marts pass, each broken rule fails."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]

from expectations import AuditFailed, audit_warehouse, build_data_docs, raise_on_failure


def _key(id_number: str) -> str:
    return hashlib.sha256(id_number.encode()).hexdigest()


K1, K2, K3 = _key("A"), _key("B"), _key("C")

SCHEMA = f"""
create schema marts;
create table marts.dim_department (department_code varchar, city varchar, name varchar, aliases varchar);
insert into marts.dim_department values
  ('golmud_fgw', '格尔木市', '格尔木市发展和改革委员会', '市发改委|发改委'),
  ('golmud_jyj', '格尔木市', '格尔木市教育局', '教育局'),
  ('golmud_jtj', '格尔木市', '格尔木市交通运输局', '交通局'),
  ('shouguang_fgw', '寿光市', '寿光市发展和改革委员会', '发改委');

create table marts.fct_investment (
  city varchar, department_code varchar, project_code varchar, project_name varchar,
  period_month date, stage varchar, planned_amount_yuan decimal(18,2),
  month_amount_yuan decimal(18,2), cumulative_amount_yuan decimal(18,2), submission_id varchar);
insert into marts.fct_investment values
  ('格尔木市', 'golmud_fgw', 'P001', '背街小巷改造', date '2022-05-01', '开工建设', 1000000, 50000, 300000, 's1'),
  ('格尔木市', 'golmud_fgw', 'P001', '背街小巷改造', date '2022-06-01', '开工建设', 1000000, 0, 300000, 's2'),
  ('格尔木市', 'golmud_fgw', 'P002', '公厕新建', date '2022-05-01', '编制方案/可研', 200000, null, null, 's1'),
  -- spent more than planned: allowed
  ('寿光市', 'shouguang_fgw', 'P001', '公交站台', date '2022-05-01', '已完工', 100000, 0, 120000, 's3');

create table marts.fct_volunteer_hours (
  record_id varchar, city varchar, department_code varchar, volunteer_key varchar,
  service_date date, hours decimal(6,2), category varchar, submission_id varchar);
insert into marts.fct_volunteer_hours values
  ('v1', '格尔木市', 'golmud_jyj', '{K1}', date '2022-05-20', 4, '文明交通', 's4'),
  ('v2', '格尔木市', 'golmud_jyj', '{K1}', date '2022-05-20', 20, '敬老助残', 's4'),
  ('v3', '格尔木市', 'golmud_jyj', '{K2}', date '2022-05-21', 2.5, null, 's4'),
  ('v4', '寿光市', 'shouguang_fgw', '{K3}', date '2022-05-21', 8, '环境保护', 's5');

create table marts.fct_issue_closure (
  city varchar, department_code varchar, issue_code varchar, category varchar,
  point_type varchar, found_date date, deadline_date date, rectified_date date,
  status varchar, days_to_rectify integer, is_overdue boolean, times_reopened integer,
  as_of_month date);
insert into marts.fct_issue_closure values
  ('格尔木市', 'golmud_jtj', 'W001', '治乱', '公交站台', date '2022-05-02', date '2022-05-20',
   date '2022-05-10', '已销号', 8, false, 0, date '2022-05-01'),
  ('格尔木市', 'golmud_jtj', 'W002', '治脏', '背街小巷', date '2022-05-03', date '2022-05-20',
   null, '整改中', null, false, 1, date '2022-05-01'),
  ('格尔木市', 'golmud_jtj', 'W003', '设施短板', null, date '2022-04-03', date '2022-04-20',
   null, '未整改', null, true, 0, date '2022-05-01'),
  ('寿光市', 'shouguang_fgw', 'W001', '治弱', '学校周边', date '2022-05-05', date '2022-05-25',
   date '2022-05-30', '已整改', 25, true, 0, date '2022-05-01');

create table marts.dim_volunteer (
  volunteer_key varchar, masked_name varchar, total_hours decimal(10,2), star_level integer);
insert into marts.dim_volunteer values
  ('{K1}', '张*', 24, 0), ('{K2}', '李*', 2.5, 0), ('{K3}', '王*', 1500, 5);
"""


def make_warehouse(path: Path, *mutations: str) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA)
        for sql in mutations:
            con.execute(sql)
    return path


def test_import_is_cheap() -> None:
    code = "import sys, expectations; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_valid_warehouse_passes(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "warehouse.duckdb")
    report = audit_warehouse(db, run_id="manual__1")
    assert report.success, [r for r in report.failures]
    assert raise_on_failure(report) is report
    suites = {r.suite for r in report.records}
    assert suites == {"fct_investment", "fct_volunteer_hours", "fct_volunteer_hours_daily",
                      "fct_issue_closure", "dim_volunteer"}
    rows = report.to_records()
    assert len(rows) == len(report.records) > 30
    assert {r["gate"] for r in rows} == {"mart"} and {r["run_id"] for r in rows} == {"manual__1"}
    hours = next(r for r in rows if r["suite"] == "fct_volunteer_hours" and r["column"] == "hours")
    assert (hours["element_count"], hours["unexpected_count"]) == (4, 0)
    # the file was opened read-only: a writer can open it right after
    duckdb.connect(str(db)).close()

    index = build_data_docs(report, tmp_path / "docs")
    assert index.is_file()
    assert list((tmp_path / "docs" / "validations").rglob("*.html"))


BROKEN = [
    pytest.param(
        ["update marts.fct_volunteer_hours set hours = 30 where record_id = 'v3'"],
        "fct_volunteer_hours", "expect_column_values_to_be_between", "hours", '"v3"',
        id="hours-over-24",
    ),
    pytest.param(
        [f"""insert into marts.fct_volunteer_hours values
            ('v5', '格尔木市', 'golmud_jyj', '{K2}', date '2022-06-01', 14, null, 's6'),
            ('v6', '格尔木市', 'golmud_jyj', '{K2}', date '2022-06-01', 14, null, 's6')"""],
        "fct_volunteer_hours_daily", "expect_column_values_to_be_between", "daily_hours", K2,
        id="volunteer-day-over-24",
    ),
    pytest.param(
        ["update marts.fct_investment set department_code = 'golmud_xxx' where project_code = 'P002'"],
        "fct_investment", "expect_column_values_to_be_in_set", "department_code", "golmud_xxx",
        id="unknown-department",
    ),
    pytest.param(
        ["update marts.fct_issue_closure set rectified_date = null, days_to_rectify = null"
         " where issue_code = 'W001' and city = '格尔木市'"],
        "fct_issue_closure", "expect_column_values_to_not_be_null", "rectified_date", '"W001"',
        id="closed-without-rectified-date",
    ),
    pytest.param(
        ["insert into marts.fct_investment select * from marts.fct_investment"
         " where project_code = 'P002'"],
        "fct_investment", "expect_compound_columns_to_be_unique",
        "city,project_code,period_month", '"P002"',
        id="duplicate-project-month",
    ),
]


@pytest.mark.parametrize(("mutations", "suite", "expectation", "column", "names_row"), BROKEN)
def test_broken_rule_fails_gate(
    tmp_path: Path, mutations: list[str], suite: str, expectation: str, column: str,
    names_row: str,
) -> None:
    report = audit_warehouse(make_warehouse(tmp_path / "w.duckdb", *mutations), run_id="t")
    failed = {(r.suite, r.expectation, r.column) for r in report.failures}
    assert (suite, expectation, column) in failed

    with pytest.raises(AuditFailed) as info:
        raise_on_failure(report)
    message = str(info.value)
    line = next(ln for ln in message.splitlines() if f"{suite}: {expectation}({column})" in ln)
    assert "unexpected" in line and names_row in line  # counts and the offending row
    assert info.value.failures == report.failures


def test_missing_table_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", "drop table marts.dim_volunteer")
    report = audit_warehouse(db, run_id="t")
    [failure] = report.failures
    assert (failure.suite, failure.expectation) == ("dim_volunteer", "table_readable")
    assert "dim_volunteer" in (failure.error or "")


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        audit_warehouse(tmp_path / "nope.duckdb", run_id="t")
