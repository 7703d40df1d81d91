"""GX suites for the published marts (schema ``marts``), as plain Python objects.

Each builder returns a fresh ``gx.ExpectationSuite``; ``SUITES`` says which query
feeds which suite. GX is imported inside the builders so that importing this
module stays cheap. The department registry check uses the suite parameter
``department_codes``, which the runner fills from ``marts.dim_department``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before any GX import

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

STAGES = ("编制方案/可研", "施工图设计", "招投标", "开工建设", "已完工")
ISSUE_STATUSES = ("未整改", "整改中", "已整改", "已销号")
CLOSED_STATUSES = ("已整改", "已销号")  # need a rectified_date
VOLUNTEER_KEY_REGEX = r"^[0-9a-f]{64}$"  # hex HMAC-SHA256
MAX_HOURS_PER_DAY = 24
DEPARTMENT_CODES_PARAM = "department_codes"

# Contract columns (domain.md) that each relation must at least have.
INVESTMENT_COLUMNS = (
    "city", "department_code", "project_code", "period_month", "stage",
    "planned_amount_yuan", "month_amount_yuan", "cumulative_amount_yuan", "submission_id",
)
VOLUNTEER_HOURS_COLUMNS = (
    "record_id", "city", "department_code", "volunteer_key", "service_date",
    "hours", "category", "submission_id",
)
ISSUE_CLOSURE_COLUMNS = (
    "city", "department_code", "issue_code", "category", "point_type", "found_date",
    "deadline_date", "rectified_date", "status", "days_to_rectify", "is_overdue",
    "times_reopened", "as_of_month",
)
DIM_VOLUNTEER_COLUMNS = ("volunteer_key", "masked_name", "total_hours", "star_level")


def _common(gxe: Any, columns: tuple[str, ...], required: tuple[str, ...]) -> list[Any]:
    """Contract columns present, required columns not null."""
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False),
        *(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in required),
    ]


def _department_registered(gxe: Any) -> Any:
    """Referential: department_code must be a code of marts.dim_department."""
    return gxe.ExpectColumnValuesToBeInSet(
        column="department_code", value_set={"$PARAMETER": DEPARTMENT_CODES_PARAM}
    )


def fct_investment_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    required = ("city", "department_code", "project_code", "period_month", "stage",
                "planned_amount_yuan", "submission_id")
    amounts = ("planned_amount_yuan", "month_amount_yuan", "cumulative_amount_yuan")
    # cumulative <= planned is deliberately not a rule (overspend happens).
    return gx.ExpectationSuite(name="fct_investment", expectations=[
        *_common(gxe, INVESTMENT_COLUMNS, required),
        *(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in amounts),
        gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=list(STAGES)),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city", "project_code", "period_month"]),
        _department_registered(gxe),
    ])


def fct_volunteer_hours_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    required = ("record_id", "city", "department_code", "volunteer_key", "service_date",
                "hours", "submission_id")
    return gx.ExpectationSuite(name="fct_volunteer_hours", expectations=[
        *_common(gxe, VOLUNTEER_HOURS_COLUMNS, required),
        gxe.ExpectColumnValuesToBeBetween(
            column="hours", min_value=0, max_value=MAX_HOURS_PER_DAY, strict_min=True
        ),
        gxe.ExpectColumnValuesToMatchRegex(column="volunteer_key", regex=VOLUNTEER_KEY_REGEX),
        gxe.ExpectColumnValuesToBeUnique(column="record_id"),
        _department_registered(gxe),
    ])


def volunteer_daily_hours_suite() -> ExpectationSuite:
    """One volunteer's hours on one day sum to <= 24 (validated on the SQL aggregate)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(name="fct_volunteer_hours_daily", expectations=[
        gxe.ExpectColumnValuesToBeBetween(
            column="daily_hours", min_value=0, max_value=MAX_HOURS_PER_DAY
        ),
    ])


def fct_issue_closure_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    required = ("city", "department_code", "issue_code", "category", "found_date",
                "deadline_date", "status")
    return gx.ExpectationSuite(name="fct_issue_closure", expectations=[
        *_common(gxe, ISSUE_CLOSURE_COLUMNS, required),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(ISSUE_STATUSES)),
        gxe.ExpectColumnValuesToNotBeNull(
            column="rectified_date", row_condition=Column("status").is_in(CLOSED_STATUSES)
        ),
        gxe.ExpectColumnValuesToBeBetween(column="days_to_rectify", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="times_reopened", min_value=0),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["city", "issue_code"]),
        _department_registered(gxe),
    ])


def dim_volunteer_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(name="dim_volunteer", expectations=[
        *_common(gxe, DIM_VOLUNTEER_COLUMNS, ("volunteer_key", "star_level")),
        gxe.ExpectColumnValuesToBeBetween(column="star_level", min_value=0, max_value=5),
        gxe.ExpectColumnValuesToBeUnique(column="volunteer_key"),
    ])


@dataclass(frozen=True)
class SuiteSpec:
    """A suite and the read-only query whose result it validates."""

    name: str  # suite name = GX asset name
    sql: str
    build: Callable[[], ExpectationSuite]
    row_id: tuple[str, ...]  # columns naming an unexpected row in results


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec("fct_investment", "select * from marts.fct_investment",
              fct_investment_suite, ("city", "project_code", "period_month")),
    SuiteSpec("fct_volunteer_hours", "select * from marts.fct_volunteer_hours",
              fct_volunteer_hours_suite, ("record_id",)),
    SuiteSpec(
        "fct_volunteer_hours_daily",
        "select volunteer_key, service_date, sum(hours) as daily_hours, count(*) as records"
        " from marts.fct_volunteer_hours group by volunteer_key, service_date"
        " order by volunteer_key, service_date",
        volunteer_daily_hours_suite, ("volunteer_key", "service_date"),
    ),
    SuiteSpec("fct_issue_closure", "select * from marts.fct_issue_closure",
              fct_issue_closure_suite, ("city", "issue_code")),
    SuiteSpec("dim_volunteer", "select * from marts.dim_volunteer",
              dim_volunteer_suite, ("volunteer_key",)),
)

# Source of the department_codes suite parameter.
DEPARTMENT_CODES_SQL = "select distinct department_code from marts.dim_department"
