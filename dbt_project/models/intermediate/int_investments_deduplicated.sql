-- Investment rows of current submissions, one row per project x reporting month
-- (city, project_code, period_month). When a project is reported in the same
-- month by two submitting departments (two current submissions), the row of the
-- latest loaded submission wins (loaded_at desc, submission_id desc, then the
-- last row of that file).
with current_rows as (
    select investment.*
    from {{ ref('stg_investments') }} as investment
    inner join {{ ref('int_investment_submissions') }} as current_submissions
        on investment.submission_id = current_submissions.submission_id
        and current_submissions.is_current
),

ranked as (
    select
        current_rows.*,
        row_number() over (
            partition by city, project_code, period_month
            order by loaded_at desc, submission_id desc, source_row_number desc
        ) as project_month_rank
    from current_rows
)

select
    submission_id,
    source_row_number,
    loaded_at,
    city,
    submitting_department_code,
    responsible_department_code,
    period_month,
    project_code,
    project_name,
    category,
    stage,
    stage_order,
    planned_amount_yuan,
    month_amount_yuan,
    cumulative_amount_yuan,
    start_date,
    finish_date
from ranked
where project_month_rank = 1
