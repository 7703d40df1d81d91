-- 创建项目当前投资: one row per project (city, project_code), its latest reported month in
-- fct_investment, with the same columns. Summing it gives current totals; summing
-- fct_investment counts a project once per month it was reported.
select investment.*
from {{ ref('fct_investment') }} as investment
where not exists (
    select 1
    from {{ ref('fct_investment') }} as later
    where later.city = investment.city
        and later.project_code = investment.project_code
        and later.period_month > investment.period_month
)
