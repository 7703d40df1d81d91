"""Which read-only query feeds which mart suite: the queries are the .sql files of sql/, read
once at import. Reconciliation and lineage queries read ingest's raw tables (attached as `raw`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .suites import (
    dim_department_suite,
    dim_volunteer_suite,
    dim_volunteer_totals_suite,
    fact_lineage_suite,
    fct_investment_suite,
    fct_issue_closure_suite,
    fct_issue_status_history_suite,
    fct_volunteer_hours_suite,
    mart_department_scorecard_suite,
    reconcile_investment_suite,
    reconcile_issue_suite,
    reconcile_volunteer_suite,
    scorecard_totals_suite,
    volunteer_daily_hours_suite,
)
from .vocabulary import STAR_THRESHOLDS

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

SQL_DIR = Path(__file__).with_name("sql")
# Ingest's own bookkeeping decides which submissions are current (superseded_by is null, and
# not held back by an earlier audit): an independent check of dbt's ranking in int_submissions_ranked.
CURRENT_SUBMISSIONS = ("select * from raw.submissions where superseded_by is null"
                       " and submission_id not in (select submission_id from held_submissions)")
# The runner defines `held_submissions` once raw is attached (a raw database from before holds has none).
HELD_VIEW = "create or replace temp view held_submissions as select submission_id from raw.held_submissions"
NO_HELD_VIEW = "create or replace temp view held_submissions as select cast(null as varchar) as submission_id where false"
STAR_CASE = "case " + " ".join(f"when fact_total_hours >= {h} then {s}" for h, s in STAR_THRESHOLDS) + " else 0 end"


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").format(
        current_submissions=CURRENT_SUBMISSIONS, star_case=STAR_CASE)


@dataclass(frozen=True)
class SuiteSpec:
    """A suite and the read-only query whose result it validates."""

    name: str  # suite name = GX asset name
    sql: str
    build: Callable[[], ExpectationSuite]
    row_id: tuple[str, ...]  # columns naming an unexpected row in results
    needs_raw: bool = False  # reads ingest's raw tables (attached as `raw`)
    blame: str | None = None  # the row_id column naming the submission an unexpected row comes from


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec("fct_investment", "select * from marts.fct_investment",
              fct_investment_suite, ("city", "project_code", "period_month", "submission_id"),
              blame="submission_id"),
    SuiteSpec("fct_volunteer_hours", "select * from marts.fct_volunteer_hours",
              fct_volunteer_hours_suite, ("record_id", "submission_id"), blame="submission_id"),
    # a day over 24 h across submissions: the newest of them is the one that broke the rule
    SuiteSpec(
        "fct_volunteer_hours_daily",
        _sql("fct_volunteer_hours_daily"),
        volunteer_daily_hours_suite,
        ("volunteer_key", "service_date", "department_codes", "submission_ids", "newest_submission_id"),
        blame="newest_submission_id",
    ),
    SuiteSpec("fct_issue_closure", "select * from marts.fct_issue_closure",
              fct_issue_closure_suite, ("city", "issue_code", "submission_id"), blame="submission_id"),
    SuiteSpec("fct_issue_status_history", "select * from marts.fct_issue_status_history",
              fct_issue_status_history_suite, ("city", "issue_code", "period_month", "submission_id"),
              blame="submission_id"),
    SuiteSpec("dim_volunteer", "select * from marts.dim_volunteer",
              dim_volunteer_suite, ("volunteer_key",)),
    SuiteSpec("dim_department", "select * from marts.dim_department",
              dim_department_suite, ("department_code",)),
    SuiteSpec("mart_department_scorecard", "select * from marts.mart_department_scorecard",
              mart_department_scorecard_suite, ("department_code", "period_month")),
    SuiteSpec("dim_volunteer_totals", _sql("dim_volunteer_totals"), dim_volunteer_totals_suite,
              ("volunteer_key",)),
    SuiteSpec("scorecard_totals", _sql("scorecard_totals"), scorecard_totals_suite, ("department_code",)),
    SuiteSpec("reconcile_volunteer", _sql("reconcile_volunteer"), reconcile_volunteer_suite,
              ("submission_id", "city", "department_code"), needs_raw=True),
    SuiteSpec("reconcile_investment", _sql("reconcile_investment"), reconcile_investment_suite,
              ("city", "period_month"), needs_raw=True),
    SuiteSpec("reconcile_issue", _sql("reconcile_issue"), reconcile_issue_suite,
              ("city", "period_month"), needs_raw=True),
    SuiteSpec("fact_lineage", _sql("fact_lineage"), fact_lineage_suite,
              ("relation", "submission_id"), needs_raw=True),
)

# Sources of the suite parameters.
DEPARTMENT_CODES_SQL = "select distinct department_code from marts.dim_department"
CITY_NAMES_SQL = "select distinct city from marts.dim_city"
DATE_RANGE_SQL = "select min(date_day), max(date_day) from marts.dim_date"
