-- 创建项目投资台账 fact: one row per project x reporting month from current
-- investment submissions. department_code is the responsible department (责任单位).
-- Flags compare with the same project's previous reported month (the latest
-- earlier period_month in which the project appears).
with investment as (
    select * from {{ ref('int_investments_deduplicated') }}
),

compared as (
    select
        investment.*,
        lag(period_month) over project_months           as previous_period_month,
        lag(cumulative_amount_yuan) over project_months as previous_cumulative_amount_yuan,
        lag(stage_order) over project_months            as previous_stage_order
    from investment
    window project_months as (partition by city, project_code order by period_month)
)

select
    cast(city as varchar)                         as city,
    cast(responsible_department_code as varchar)  as department_code,
    cast(submitting_department_code as varchar)   as submitting_department_code,
    cast(project_code as varchar)                 as project_code,
    cast(project_name as varchar)                 as project_name,
    cast(category as varchar)                     as category,
    cast(period_month as date)                    as period_month,
    cast({{ month_label('period_month') }} as varchar) as month_label,
    cast({{ quarter_label('period_month') }} as varchar) as quarter_label,
    cast(stage as varchar)                        as stage,
    cast(stage_order as integer)                  as stage_order,
    cast(planned_amount_yuan as numeric(18, 2))   as planned_amount_yuan,
    cast(month_amount_yuan as numeric(18, 2))     as month_amount_yuan,
    cast(cumulative_amount_yuan as numeric(18, 2)) as cumulative_amount_yuan,
    cast(start_date as date)                      as start_date,
    cast(finish_date as date)                     as finish_date,
    cast(previous_period_month as date)           as previous_period_month,
    cast(previous_cumulative_amount_yuan as numeric(18, 2)) as previous_cumulative_amount_yuan,
    cast(coalesce(cumulative_amount_yuan < previous_cumulative_amount_yuan, false) as boolean)
        as is_cumulative_decrease,
    cast(coalesce(stage_order < previous_stage_order, false) as boolean)
        as is_stage_regression,
    cast(submission_id as varchar)                as submission_id,
    cast(source_row_number as integer)            as source_row_number,
    cast(loaded_at as timestamp)                  as loaded_at
from compared
