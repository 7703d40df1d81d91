"""What the dashboard shows, read from the marts with plain SQL that runs on DuckDB and PostgreSQL.

Each section is a list of row mappings, in the units stored in the marts (yuan, hours, rates 0-1);
charts and templates only format them. A section whose mart is not published yet is ``None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from decimal import Decimal
from typing import Any, Mapping

from dashboard import optional_marts
from dashboard.source import Marts
from ingest.contracts import stages
from warehouse import semantic

Row = Mapping[str, Any]
STAGES = stages()
STAR_LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Rates:
    """The rates the dashboard shows, as the semantic layer defines them (MetricFlow's metrics)."""
    rectification: semantic.Ratio
    completion: semantic.Ratio

    @classmethod
    def defined(cls, directory: Path = semantic.SEMANTIC_DIR) -> "Rates":
        return cls(semantic.ratio("rectification_rate", directory),
                   semantic.ratio("investment_completion_rate", directory))

    def rectification_by_month(self, marts: Marts, city: str) -> list[Row]:
        """Per ledger month: issues (denominator), rectified (numerator), overdue and the rate."""
        sql = semantic.ratio_sql(self.rectification, {"month": "period_month"}, "city = :city", "period_month")
        overdue = {r["month"]: r["overdue"] for r in marts.rows(OVERDUE_BY_MONTH, city=city)}
        return [{"month": r["month"], "issues": r["denominator"], "rectified": r["numerator"],
                 "overdue": overdue.get(r["month"], 0), "rate": r["rate"]} for r in marts.rows(sql, city=city)]

    def completion_rate(self, marts: Marts, city: str) -> Decimal | None:
        """Spent / planned of the city's projects, each at its latest reported month."""
        return marts.rows(semantic.ratio_sql(self.completion, {}, "city = :city"), city=city)[0]["rate"]

CITIES = "select city, city_code, province from marts.dim_city order by city_code"

# Each project counted once, in its latest reported month (a project missing from the newest
# month's ledger still counts with its last known figures).
INVESTMENT_BY_STAGE = """
with latest as (
    select stage, stage_order, planned_amount_yuan, cumulative_amount_yuan, period_month,
           row_number() over (partition by project_code order by period_month desc) as recency
    from marts.fct_investment
    where city = :city
)
select stage, min(stage_order) as stage_order, count(*) as projects,
       sum(planned_amount_yuan) as planned_yuan,
       sum(coalesce(cumulative_amount_yuan, 0)) as spent_yuan,
       max(period_month) as as_of_month
from latest
where recency = 1
group by stage
order by min(stage_order)
"""

VOLUNTEER_BY_MONTH = """
select cast(date_trunc('month', service_date) as date) as month,
       sum(hours) as hours,
       count(distinct volunteer_key) as volunteers,
       count(*) as records
from marts.fct_volunteer_hours
where city = :city
group by cast(date_trunc('month', service_date) as date)
order by month
"""

# A volunteer counts in every city where they have a current service record (as in
# docs/queries/star_volunteers_by_city.sql); star_level is national, on all their hours.
STARS_BY_LEVEL = """
select volunteer.star_level, count(*) as volunteers
from (select distinct volunteer_key from marts.fct_volunteer_hours where city = :city) as served
inner join marts.dim_volunteer as volunteer
    on volunteer.volunteer_key = served.volunteer_key
where volunteer.star_level >= 1
group by volunteer.star_level
order by volunteer.star_level
"""

# Overdue issues of the city's ledger month by month (fct_issue_status_history: issue x ledger
# month); the rectification rate beside them is the semantic layer's rectification_rate.
OVERDUE_BY_MONTH = """
select period_month as month, sum(case when is_overdue then 1 else 0 end) as overdue
from marts.fct_issue_status_history
where city = :city
group by period_month
"""

SCORECARD = """
select period_month as month, rank_in_city, department_code, department_name,
       rectification_rate, issues_in_ledger, issues_overdue,
       investment_completion_rate, volunteer_hours
from marts.mart_department_scorecard
where city = :city
order by period_month desc, rank_in_city, department_code
"""

OVERDUE_ISSUES = """
select closure.issue_code, departments.name as department_name, closure.category,
       closure.point_type, closure.deadline_date, closure.status, closure.as_of_month
from marts.fct_issue_closure as closure
inner join marts.dim_department as departments
    on closure.department_code = departments.department_code
where closure.city = :city and closure.is_overdue
order by closure.deadline_date, closure.issue_code
"""

VOLUNTEER_TOTALS = """
select coalesce(sum(hours), 0) as hours, count(distinct volunteer_key) as volunteers
from marts.fct_volunteer_hours
where city = :city
"""


@dataclass
class CityData:
    city: str
    city_code: str
    province: str
    investment: list[Row]
    volunteer_months: list[Row]
    stars: dict[int, int]
    rectification: list[Row]
    scorecard: list[Row]
    overdue_issues: list[Row]
    volunteer_totals: Row
    completion_rate: Decimal | None = None  # the semantic layer's investment_completion_rate
    submissions: optional_marts.Submissions | None = None  # None: mart_submission_status not published
    quality: optional_marts.Quality | None = None  # None: mart_data_quality not published
    ranking_months: list[date] = field(default_factory=list)

    @property
    def ranking_month(self) -> date | None:
        """The month the 红黑榜 opens on: the newest month whose ranking rests on an issue ledger
        (any department with issues in that month's ledger), else the newest month."""
        with_ledger = [r["month"] for r in self.scorecard if (r["issues_in_ledger"] or 0) > 0]
        months = with_ledger or [r["month"] for r in self.scorecard]
        return max(months) if months else None

    def ranking(self, month: date | None = None) -> list[Row]:
        month = month or self.ranking_month
        return [r for r in self.scorecard if r["month"] == month]

    def boards(self, month: date | None = None) -> dict[str, str]:
        """红榜 / 黑榜 of a month, by department_code: 红榜 = the three best ranks; 黑榜 = the three
        worst ranks among the other departments with issues in that month's ledger (a department
        with nothing to rectify is not blacklisted for lacking a rate)."""
        rows = self.ranking(month)
        red_ranks = sorted({r["rank_in_city"] for r in rows})[:3]
        red = {r["department_code"] for r in rows if r["rank_in_city"] in red_ranks}
        rest = [r for r in rows if r["department_code"] not in red and (r["issues_in_ledger"] or 0) > 0]
        black_ranks = sorted({r["rank_in_city"] for r in rest})[-3:]
        black = {r["department_code"] for r in rest if r["rank_in_city"] in black_ranks}
        return {**{code: "红榜" for code in red}, **{code: "黑榜" for code in black}}

    @property
    def kpis(self) -> dict[str, Any]:
        """Headline figures of the city, shown on the overview and at the top of its page."""
        planned = sum((r["planned_yuan"] for r in self.investment), Decimal(0))
        spent = sum((r["spent_yuan"] for r in self.investment), Decimal(0))
        latest = self.rectification[-1] if self.rectification else None
        return {
            "projects": sum(r["projects"] for r in self.investment),
            "planned_yuan": planned,
            "spent_yuan": spent,
            "completion_rate": self.completion_rate,
            "volunteer_hours": self.volunteer_totals["hours"],
            "volunteers": self.volunteer_totals["volunteers"],
            "star_volunteers": sum(self.stars.values()),
            "rectification_rate": latest["rate"] if latest else None,
            "rectification_month": latest["month"] if latest else None,
            "overdue_issues": len(self.overdue_issues),
        }


def load_city(marts: Marts, city: Row, optional: dict[str, bool], rates: Rates) -> CityData:
    name = city["city"]
    scorecard = marts.rows(SCORECARD, city=name)
    return CityData(
        city=name, city_code=city["city_code"], province=city["province"],
        investment=marts.rows(INVESTMENT_BY_STAGE, city=name),
        volunteer_months=marts.rows(VOLUNTEER_BY_MONTH, city=name),
        stars={r["star_level"]: r["volunteers"] for r in marts.rows(STARS_BY_LEVEL, city=name)},
        rectification=rates.rectification_by_month(marts, name),
        scorecard=scorecard,
        overdue_issues=marts.rows(OVERDUE_ISSUES, city=name),
        volunteer_totals=marts.rows(VOLUNTEER_TOTALS, city=name)[0],
        completion_rate=rates.completion_rate(marts, name),
        submissions=optional_marts.submissions(marts, name) if optional["submissions"] else None,
        quality=optional_marts.quality(marts, name) if optional["quality"] else None,
        ranking_months=sorted({r["month"] for r in scorecard}, reverse=True),
    )


def load_all(marts: Marts, rates: Rates | None = None) -> list[CityData]:
    """Every city's sections; the rates as `rates` defines them (default: the semantic layer's)."""
    optional = optional_marts.available(marts)
    rates = rates or Rates.defined()
    return [load_city(marts, city, optional, rates) for city in marts.rows(CITIES)]
