-- 整改率逐月变化
-- How the rectification rate moved month by month, per city.
-- Each month reads that month's ledger: rate = issues 已整改 or 已销号 / all issues
-- in the ledger; change = this month's rate minus the previous ledger month's.
with monthly as (
    select
        city,
        period_month,
        count(*)                                          as issues,
        sum(case when is_rectified then 1 else 0 end)     as rectified
    from marts.fct_issue_status_history
    group by city, period_month
),

rated as (
    select
        city,
        period_month,
        issues,
        rectified,
        cast(round(1.0 * rectified / issues, 4) as numeric(9, 4)) as rectification_rate
    from monthly
)

select
    city,
    period_month,
    issues,
    rectified,
    rectification_rate,
    rectification_rate - lag(rectification_rate) over (partition by city order by period_month) as change
from rated
order by city, period_month
