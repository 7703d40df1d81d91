"""Sections over marts that a deployment may not have published yet: submission status and data
quality. A missing mart gives ``None`` and the page shows a "暂无数据" panel instead of a chart."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from dashboard.source import Marts

Row = Mapping[str, Any]
SUBMISSION_STATUS = "mart_submission_status"
DATA_QUALITY = "mart_data_quality"

# mart_submission_status: one row per department x kind x month owed or sent; status is
# on_time | late | missing | pending (owed, not due yet) | not_owed (sent, not owed) |
# held_back (the latest submission failed the mart audit: listed with the gaps).
SUBMISSIONS_BY_MONTH = """
select period_month as month,
       sum(case when is_owed then 1 else 0 end) as owed,
       sum(case when status = 'on_time' then 1 else 0 end) as on_time,
       sum(case when status = 'late' then 1 else 0 end) as late,
       sum(case when status = 'missing' then 1 else 0 end) as missing,
       sum(case when status = 'pending' then 1 else 0 end) as pending
from marts.mart_submission_status
where city = :city
group by period_month
order by period_month
"""

SUBMISSION_GAPS = """
select period_month as month, department_name, kind, status, days_past_due, refused_files
from marts.mart_submission_status
where city = :city and status in ('late', 'missing', 'held_back')
order by period_month desc, status desc, department_code, kind
"""

# mart_data_quality: one row per expectation per validation; gate submission (each file, with
# its city, department, kind and reporting month) or mart (each audit of a candidate warehouse).
QUALITY_BY_MONTH = """
select period_month as month,
       count(*) as checks,
       sum(case when success then 0 else 1 end) as failed,
       cast(round(1.0 * sum(case when success then 1 else 0 end) / count(*), 4) as numeric(9, 4)) as pass_rate,
       coalesce(sum(unexpected_count), 0) as problem_rows
from marts.mart_data_quality
where city = :city and gate = 'submission' and period_month is not null
group by period_month
order by period_month
"""

QUALITY_FAILURES = """
select quality.period_month as month, coalesce(departments.name, quality.department_code) as department_name,
       quality.kind, quality.suite, quality.expectation, quality.element_count, quality.unexpected_count,
       quality.action, quality.checked_at
from marts.mart_data_quality as quality
left join marts.dim_department as departments
    on quality.department_code = departments.department_code
where quality.city = :city and not quality.success
order by quality.checked_at desc, quality.period_month desc, quality.suite, quality.expectation
"""

MART_AUDITS = """
select run_id, min(checked_at) as checked_at, count(*) as checks,
       sum(case when success then 0 else 1 end) as failed
from marts.mart_data_quality
where gate = 'mart'
group by run_id
order by min(checked_at) desc
"""


@dataclass
class Submissions:
    months: list[Row]
    gaps: list[Row]


@dataclass
class Quality:
    months: list[Row]
    failures: list[Row]


def available(marts: Marts) -> dict[str, bool]:
    return {"submissions": marts.has(SUBMISSION_STATUS), "quality": marts.has(DATA_QUALITY)}


def submissions(marts: Marts, city: str) -> Submissions:
    return Submissions(marts.rows(SUBMISSIONS_BY_MONTH, city=city), marts.rows(SUBMISSION_GAPS, city=city))


def quality(marts: Marts, city: str) -> Quality:
    return Quality(marts.rows(QUALITY_BY_MONTH, city=city), marts.rows(QUALITY_FAILURES, city=city))


def mart_audits(marts: Marts) -> list[Row] | None:
    """Audits of candidate warehouses (newest first); None when mart_data_quality is not published."""
    return marts.rows(MART_AUDITS) if marts.has(DATA_QUALITY) else None
