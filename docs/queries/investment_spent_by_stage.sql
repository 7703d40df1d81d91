-- 各市计划投资完成了多少（按项目进度）
-- How much of the planned investment each city has spent, by stage.
-- Each project counts once, as of its latest reported month (its current stage
-- and cumulative spend); spent_share = spent / planned.
with latest as (
    select
        city,
        project_code,
        stage,
        stage_order,
        planned_amount_yuan,
        coalesce(cumulative_amount_yuan, 0) as spent_yuan,
        row_number() over (partition by city, project_code order by period_month desc) as recency
    from marts.fct_investment
)
select
    city,
    stage,
    count(*)                                           as projects,
    sum(planned_amount_yuan)                           as planned_yuan,
    sum(spent_yuan)                                    as spent_yuan,
    cast(round(1.0 * sum(spent_yuan) / sum(planned_amount_yuan), 4) as numeric(9, 4)) as spent_share
from latest
where recency = 1
group by city, stage, stage_order
order by city, stage_order
