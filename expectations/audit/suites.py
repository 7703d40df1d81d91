"""GX suites for the built marts (schema ``marts``), as plain Python objects.

Each builder returns a fresh ``gx.ExpectationSuite``; ``SUITES`` says which read-only query
feeds which suite. GX is imported inside the builders so that importing this module stays
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
# Star volunteers (national standard): cumulative recorded hours -> stars.
STAR_THRESHOLDS = ((1500, 5), (1000, 4), (600, 3), (300, 2), (100, 1))
DEPARTMENT_CODES_PARAM = "department_codes"
CITY_NAMES_PARAM = "city_names"
DATE_MIN_PARAM, DATE_MAX_PARAM = "date_min", "date_max"

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
ISSUE_HISTORY_COLUMNS = ("city", "department_code", "issue_code", "period_month", "status",
                         "found_date", "is_overdue", "submission_id")
DIM_VOLUNTEER_COLUMNS = ("volunteer_key", "masked_name", "total_hours", "star_level")
SCORECARD_COLUMNS = (
    "city", "department_code", "period_month", "investment_completion_rate", "volunteer_hours",
    "active_volunteers", "issues_found", "issues_rectified", "issues_overdue",
    "rectification_rate", "on_time_rate", "mean_days_to_rectify", "rank_in_city",
)


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


@dataclass(frozen=True)
class SuiteSpec:
    """A suite and the read-only query whose result it validates."""

    name: str  # suite name = GX asset name
    sql: str
    build: Callable[[], ExpectationSuite]
    row_id: tuple[str, ...]  # columns naming an unexpected row in results
    needs_raw: bool = False  # reads ingest's raw tables (attached as `raw`)


_STAR_CASE = "case " + " ".join(f"when fact_total_hours >= {h} then {s}" for h, s in STAR_THRESHOLDS) + " else 0 end"

# Ingest's own bookkeeping decides which submissions are current (superseded_by is null):
# an independent check of dbt's ranking in int_submissions_ranked.
_CURRENT = "select * from raw.submissions where superseded_by is null"

DIM_VOLUNTEER_TOTALS_SQL = f"""
with fact as (
    select volunteer_key, cast(sum(hours) as decimal(18, 2)) as fact_total_hours
    from marts.fct_volunteer_hours group by volunteer_key
), joined as (
    select coalesce(d.volunteer_key, f.volunteer_key) as volunteer_key,
           d.volunteer_key is not null as in_dim, f.volunteer_key is not null as in_fact,
           cast(coalesce(d.total_hours, 0) as decimal(18, 2)) as dim_total_hours,
           coalesce(f.fact_total_hours, 0) as fact_total_hours,
           coalesce(d.star_level, 0) as star_level
    from marts.dim_volunteer d full join fact f on d.volunteer_key = f.volunteer_key
)
select *, {_STAR_CASE} as standard_star_level from joined order by volunteer_key
"""

SCORECARD_TOTALS_SQL = """
with card as (
    select department_code, cast(sum(volunteer_hours) as decimal(18, 2)) as scorecard_volunteer_hours,
           sum(investment_projects) as scorecard_investment_rows, sum(issues_found) as scorecard_issues_found,
           sum(issues_in_ledger) as scorecard_issues_in_ledger
    from marts.mart_department_scorecard group by department_code
), hours as (
    select department_code, cast(sum(hours) as decimal(18, 2)) as v from marts.fct_volunteer_hours group by 1
), projects as (
    select department_code, count(*) as v from marts.fct_investment group by 1
), issues as (
    select department_code, count(*) as v from marts.fct_issue_closure group by 1
), history as (
    select department_code, count(*) as v from marts.fct_issue_status_history group by 1
), departments as (
    select department_code from card union select department_code from hours
    union select department_code from projects union select department_code from issues
    union select department_code from history
)
select d.department_code,
       coalesce(card.scorecard_volunteer_hours, 0) as scorecard_volunteer_hours,
       coalesce(hours.v, 0) as fact_volunteer_hours,
       coalesce(card.scorecard_investment_rows, 0) as scorecard_investment_rows,
       coalesce(projects.v, 0) as fact_investment_rows,
       coalesce(card.scorecard_issues_found, 0) as scorecard_issues_found,
       coalesce(issues.v, 0) as fact_issues,
       coalesce(card.scorecard_issues_in_ledger, 0) as scorecard_issues_in_ledger,
       coalesce(history.v, 0) as fact_issue_history_rows
from departments d
left join card on card.department_code = d.department_code
left join hours on hours.department_code = d.department_code
left join projects on projects.department_code = d.department_code
left join issues on issues.department_code = d.department_code
left join history on history.department_code = d.department_code
order by d.department_code
"""

RECONCILE_VOLUNTEER_SQL = f"""
with cur as (
    select submission_id, city, department_code, period_month, rows_loaded
    from ({_CURRENT}) s where kind = 'volunteer'
), raw_rows as (
    select submission_id, count(*) as n, cast(sum(hours) as decimal(18, 2)) as hours
    from raw.raw_volunteer group by submission_id
), mart as (
    select submission_id, min(city) as city, min(department_code) as department_code,
           count(*) as n, cast(sum(hours) as decimal(18, 2)) as hours
    from marts.fct_volunteer_hours group by submission_id
)
select coalesce(cur.submission_id, mart.submission_id) as submission_id,
       coalesce(cur.city, mart.city) as city,
       coalesce(cur.department_code, mart.department_code) as department_code,
       cur.period_month,
       coalesce(cur.rows_loaded, 0) as loaded_rows,
       case when cur.submission_id is null then 0 else coalesce(raw_rows.n, 0) end as raw_rows,
       coalesce(mart.n, 0) as mart_rows,
       case when cur.submission_id is null then 0 else coalesce(raw_rows.hours, 0) end as raw_hours,
       coalesce(mart.hours, 0) as mart_hours
from cur
full join mart on mart.submission_id = cur.submission_id
left join raw_rows on raw_rows.submission_id = coalesce(cur.submission_id, mart.submission_id)
order by submission_id
"""

RECONCILE_INVESTMENT_SQL = f"""
with raw_keys as (
    select r.city, r.period_month, count(distinct r.project_code) as raw_projects
    from raw.raw_investment r join ({_CURRENT}) s on s.submission_id = r.submission_id
    group by r.city, r.period_month
), mart as (
    select city, period_month, count(*) as mart_rows from marts.fct_investment group by city, period_month
)
select coalesce(raw_keys.city, mart.city) as city, coalesce(raw_keys.period_month, mart.period_month) as period_month,
       coalesce(raw_projects, 0) as raw_projects, coalesce(mart_rows, 0) as mart_rows
from raw_keys full join mart on mart.city = raw_keys.city and mart.period_month = raw_keys.period_month
order by city, period_month
"""

RECONCILE_ISSUE_SQL = f"""
with cur_rows as (
    select distinct r.city, r.issue_code, r.period_month
    from raw.raw_issue r join ({_CURRENT}) s on s.submission_id = r.submission_id
), latest as (
    select city, issue_code, max(period_month) as period_month from cur_rows group by city, issue_code
), raw_months as (
    select city, period_month, count(*) as raw_issues from cur_rows group by city, period_month
), raw_latest as (
    select city, period_month, count(*) as raw_latest_issues from latest group by city, period_month
), history as (
    select city, period_month, count(*) as history_rows from marts.fct_issue_status_history group by 1, 2
), closure as (
    select city, as_of_month as period_month, count(*) as closure_rows from marts.fct_issue_closure group by 1, 2
), months as (
    select city, period_month from raw_months union select city, period_month from history
    union select city, period_month from closure
)
select m.city, m.period_month,
       coalesce(raw_months.raw_issues, 0) as raw_issues, coalesce(history.history_rows, 0) as history_rows,
       coalesce(raw_latest.raw_latest_issues, 0) as raw_latest_issues,
       coalesce(closure.closure_rows, 0) as closure_rows
from months m
left join raw_months on raw_months.city = m.city and raw_months.period_month = m.period_month
left join raw_latest on raw_latest.city = m.city and raw_latest.period_month = m.period_month
left join history on history.city = m.city and history.period_month = m.period_month
left join closure on closure.city = m.city and closure.period_month = m.period_month
order by m.city, m.period_month
"""

FACT_LINEAGE_SQL = """
with facts as (
    select 'fct_investment' as relation, 'investment' as fact_kind, submission_id, count(*) as fact_rows
    from marts.fct_investment group by submission_id
    union all
    select 'fct_volunteer_hours', 'volunteer', submission_id, count(*)
    from marts.fct_volunteer_hours group by submission_id
    union all
    select 'fct_issue_status_history', 'issue', submission_id, count(*)
    from marts.fct_issue_status_history group by submission_id
    union all
    select 'fct_issue_closure', 'issue', submission_id, count(*) from marts.fct_issue_closure group by submission_id
)
select facts.relation, facts.submission_id, facts.fact_rows, facts.fact_kind,
       coalesce(s.kind, '(none)') as submission_kind,
       coalesce(s.submission_id is not null and s.superseded_by is null, false) as submission_current
from facts left join raw.submissions s on s.submission_id = facts.submission_id
order by facts.relation, facts.submission_id
"""

SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec("fct_investment", "select * from marts.fct_investment",
              fct_investment_suite, ("city", "project_code", "period_month")),
    SuiteSpec("fct_volunteer_hours", "select * from marts.fct_volunteer_hours",
              fct_volunteer_hours_suite, ("record_id",)),
    SuiteSpec(
        "fct_volunteer_hours_daily",
        "select volunteer_key, service_date, sum(hours) as daily_hours, count(*) as records,"
        " string_agg(distinct department_code, ',' order by department_code) as department_codes,"
        " string_agg(distinct submission_id, ',' order by submission_id) as submission_ids"
        " from marts.fct_volunteer_hours group by volunteer_key, service_date"
        " order by volunteer_key, service_date",
        volunteer_daily_hours_suite,
        ("volunteer_key", "service_date", "department_codes", "submission_ids"),
    ),
    SuiteSpec("fct_issue_closure", "select * from marts.fct_issue_closure",
              fct_issue_closure_suite, ("city", "issue_code")),
    SuiteSpec("fct_issue_status_history", "select * from marts.fct_issue_status_history",
              fct_issue_status_history_suite, ("city", "issue_code", "period_month")),
    SuiteSpec("dim_volunteer", "select * from marts.dim_volunteer",
              dim_volunteer_suite, ("volunteer_key",)),
    SuiteSpec("dim_department", "select * from marts.dim_department",
              dim_department_suite, ("department_code",)),
    SuiteSpec("mart_department_scorecard", "select * from marts.mart_department_scorecard",
              mart_department_scorecard_suite, ("department_code", "period_month")),
    SuiteSpec("dim_volunteer_totals", DIM_VOLUNTEER_TOTALS_SQL, dim_volunteer_totals_suite,
              ("volunteer_key",)),
    SuiteSpec("scorecard_totals", SCORECARD_TOTALS_SQL, scorecard_totals_suite, ("department_code",)),
    SuiteSpec("reconcile_volunteer", RECONCILE_VOLUNTEER_SQL, reconcile_volunteer_suite,
              ("submission_id", "city", "department_code"), needs_raw=True),
    SuiteSpec("reconcile_investment", RECONCILE_INVESTMENT_SQL, reconcile_investment_suite,
              ("city", "period_month"), needs_raw=True),
    SuiteSpec("reconcile_issue", RECONCILE_ISSUE_SQL, reconcile_issue_suite,
              ("city", "period_month"), needs_raw=True),
    SuiteSpec("fact_lineage", FACT_LINEAGE_SQL, fact_lineage_suite,
              ("relation", "submission_id"), needs_raw=True),
)

# Sources of the suite parameters.
DEPARTMENT_CODES_SQL = "select distinct department_code from marts.dim_department"
CITY_NAMES_SQL = "select distinct city from marts.dim_city"
DATE_RANGE_SQL = "select min(date_day), max(date_day) from marts.dim_date"
