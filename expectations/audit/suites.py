"""GX suites for the built marts (schema ``marts``), as plain Python objects.

Each builder returns a fresh ``gx.ExpectationSuite``; ``expectations.audit.specs.SUITES`` says
which read-only query (``sql/*.sql``) feeds which suite. GX is imported inside the builders so that importing this module stays
cheap. The audit covers four things:

- completeness: key columns not null, every current submission reaches its fact;
- ranges: amounts, hours, rates, star levels, dates inside the calendar of ``dim_date``;
- referential integrity: departments and cities of every mart are in the registry, every
  fact row comes from a submission that is current in raw, every volunteer of the fact is
  in ``dim_volunteer``;
- reconciliation: what the marts hold equals what ingest loaded into raw (rows and hours of
  the current volunteer submissions, projects and issues per city and month), and the
  scorecard and ``dim_volunteer`` add up to their facts.

Suites with ``needs_raw`` read ingest's raw.duckdb attached read-only as ``raw`` (on
PostgreSQL: schema ``raw``); without it they are skipped. Suite parameters filled by the
runner: ``department_codes``, ``city_names`` (registry) and ``date_min``/``date_max``
(the calendar of ``marts.dim_date``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before any GX import

from .vocabulary import (
    CITY_NAMES_PARAM,
    CLOSED_STATUSES,
    DATE_MAX_PARAM,
    DATE_MIN_PARAM,
    DEPARTMENT_CODES_PARAM,
    DIM_VOLUNTEER_COLUMNS,
    INVESTMENT_COLUMNS,
    ISSUE_CLOSURE_COLUMNS,
    ISSUE_HISTORY_COLUMNS,
    ISSUE_STATUSES,
    MAX_HOURS_PER_DAY,
    SCORECARD_COLUMNS,
    STAGES,
    VOLUNTEER_HOURS_COLUMNS,
    VOLUNTEER_KEY_REGEX,
)

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

def _common(gxe: Any, columns: tuple[str, ...], required: tuple[str, ...]) -> list[Any]:
    """Contract columns present, required columns not null."""
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False),
        *(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in required),
    ]


def _department_registered(gxe: Any, column: str = "department_code") -> Any:
    """Referential: department_code must be a code of marts.dim_department."""
    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set={"$PARAMETER": DEPARTMENT_CODES_PARAM}
    )


def _city_registered(gxe: Any) -> Any:
    """Referential: city must be a city of marts.dim_city."""
    return gxe.ExpectColumnValuesToBeInSet(column="city", value_set={"$PARAMETER": CITY_NAMES_PARAM})


def _in_calendar(gxe: Any, column: str) -> Any:
    """Range and referential: a date of the fact joins marts.dim_date."""
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value={"$PARAMETER": DATE_MIN_PARAM}, max_value={"$PARAMETER": DATE_MAX_PARAM}
    )


def _equal(gxe: Any, a: str, b: str) -> Any:
    return gxe.ExpectColumnPairValuesToBeEqual(column_A=a, column_B=b)


def _suite(name: str, expectations: list[Any]) -> ExpectationSuite:
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=expectations)


def fct_investment_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe

    required = ("city", "department_code", "project_code", "period_month", "stage",
                "planned_amount_yuan", "submission_id")
    amounts = ("planned_amount_yuan", "month_amount_yuan", "cumulative_amount_yuan")
    # cumulative <= planned is deliberately not a rule (overspend happens).
    return _suite("fct_investment", [
        *_common(gxe, INVESTMENT_COLUMNS, required),
        *(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in amounts),
        gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=list(STAGES)),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city", "project_code", "period_month"]),
        _department_registered(gxe),
        _city_registered(gxe),
        _in_calendar(gxe, "period_month"),
    ])


def fct_volunteer_hours_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe

    required = ("record_id", "city", "department_code", "volunteer_key", "service_date",
                "hours", "submission_id")
    return _suite("fct_volunteer_hours", [
        *_common(gxe, VOLUNTEER_HOURS_COLUMNS, required),
        gxe.ExpectColumnValuesToBeBetween(
            column="hours", min_value=0, max_value=MAX_HOURS_PER_DAY, strict_min=True
        ),
        gxe.ExpectColumnValuesToMatchRegex(column="volunteer_key", regex=VOLUNTEER_KEY_REGEX),
        gxe.ExpectColumnValuesToBeUnique(column="record_id"),
        _department_registered(gxe),
        _city_registered(gxe),
        _in_calendar(gxe, "service_date"),
    ])


def volunteer_daily_hours_suite() -> ExpectationSuite:
    """One volunteer's hours on one day sum to <= 24 (validated on the SQL aggregate)."""
    import great_expectations.expectations as gxe

    return _suite("fct_volunteer_hours_daily", [
        gxe.ExpectColumnValuesToBeBetween(
            column="daily_hours", min_value=0, max_value=MAX_HOURS_PER_DAY
        ),
    ])


def fct_issue_closure_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    required = ("city", "department_code", "issue_code", "category", "found_date",
                "deadline_date", "status")
    return _suite("fct_issue_closure", [
        *_common(gxe, ISSUE_CLOSURE_COLUMNS, required),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(ISSUE_STATUSES)),
        gxe.ExpectColumnValuesToNotBeNull(
            column="rectified_date", row_condition=Column("status").is_in(CLOSED_STATUSES)
        ),
        gxe.ExpectColumnValuesToBeBetween(column="days_to_rectify", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="times_reopened", min_value=0),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city", "issue_code"]),
        _department_registered(gxe),
        _city_registered(gxe),
        _in_calendar(gxe, "found_date"),
    ])


def fct_issue_status_history_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe

    required = ("city", "department_code", "issue_code", "period_month", "status", "found_date",
                "submission_id")
    return _suite("fct_issue_status_history", [
        *_common(gxe, ISSUE_HISTORY_COLUMNS, required),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(ISSUE_STATUSES)),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city", "issue_code", "period_month"]),
        _department_registered(gxe),
        _city_registered(gxe),
        _in_calendar(gxe, "period_month"),
    ])


def dim_volunteer_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe

    return _suite("dim_volunteer", [
        *_common(gxe, DIM_VOLUNTEER_COLUMNS, ("volunteer_key", "star_level")),
        gxe.ExpectColumnValuesToBeBetween(column="star_level", min_value=0, max_value=5),
        gxe.ExpectColumnValuesToBeUnique(column="volunteer_key"),
    ])


def dim_department_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe

    return _suite("dim_department", [
        *_common(gxe, ("department_code", "city", "name", "aliases"), ("department_code", "city", "name")),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="department_code"),
        _city_registered(gxe),
    ])


def mart_department_scorecard_suite() -> ExpectationSuite:
    import great_expectations.expectations as gxe

    counts = ("volunteer_hours", "active_volunteers", "issues_found", "issues_rectified", "issues_overdue")
    return _suite("mart_department_scorecard", [
        *_common(gxe, SCORECARD_COLUMNS, ("city", "department_code", "period_month", "rank_in_city")),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["department_code", "period_month"]),
        *(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
          for c in ("rectification_rate", "on_time_rate")),
        gxe.ExpectColumnValuesToBeBetween(column="investment_completion_rate", min_value=0),
        *(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in counts),
        gxe.ExpectColumnValuesToBeBetween(column="rank_in_city", min_value=1),
        _department_registered(gxe),
        _city_registered(gxe),
        _in_calendar(gxe, "period_month"),
    ])


def dim_volunteer_totals_suite() -> ExpectationSuite:
    """dim_volunteer adds up to fct_volunteer_hours and its stars follow the national standard."""
    import great_expectations.expectations as gxe

    return _suite("dim_volunteer_totals", [
        gxe.ExpectColumnValuesToBeInSet(column="in_dim", value_set=[True]),
        gxe.ExpectColumnValuesToBeInSet(column="in_fact", value_set=[True]),
        _equal(gxe, "dim_total_hours", "fact_total_hours"),
        _equal(gxe, "star_level", "standard_star_level"),
    ])


def scorecard_totals_suite() -> ExpectationSuite:
    """Per department, the scorecard's monthly measures add up to the facts they count."""
    import great_expectations.expectations as gxe

    return _suite("scorecard_totals", [
        _equal(gxe, "scorecard_volunteer_hours", "fact_volunteer_hours"),
        _equal(gxe, "scorecard_investment_rows", "fact_investment_rows"),
        _equal(gxe, "scorecard_issues_found", "fact_issues"),
        _equal(gxe, "scorecard_issues_in_ledger", "fact_issue_history_rows"),
    ])


def reconcile_volunteer_suite() -> ExpectationSuite:
    """Each current volunteer submission in raw: ledger rows = raw rows = fact rows, same hours."""
    import great_expectations.expectations as gxe

    return _suite("reconcile_volunteer", [
        _equal(gxe, "loaded_rows", "raw_rows"),
        _equal(gxe, "raw_rows", "mart_rows"),
        _equal(gxe, "raw_hours", "mart_hours"),
    ])


def reconcile_investment_suite() -> ExpectationSuite:
    """Per city and month: distinct projects of current raw ledgers = rows of fct_investment."""
    import great_expectations.expectations as gxe

    return _suite("reconcile_investment", [_equal(gxe, "raw_projects", "mart_rows")])


def reconcile_issue_suite() -> ExpectationSuite:
    """Per city and month: distinct issues of current raw ledgers = rows of the issue history,
    and issues whose latest ledger month it is = rows of fct_issue_closure."""
    import great_expectations.expectations as gxe

    return _suite("reconcile_issue", [
        _equal(gxe, "raw_issues", "history_rows"),
        _equal(gxe, "raw_latest_issues", "closure_rows"),
    ])


def fact_lineage_suite() -> ExpectationSuite:
    """Every fact row comes from a submission that is current in raw, of the fact's kind."""
    import great_expectations.expectations as gxe

    return _suite("fact_lineage", [
        gxe.ExpectColumnValuesToBeInSet(column="submission_current", value_set=[True]),
        _equal(gxe, "submission_kind", "fact_kind"),
    ])
