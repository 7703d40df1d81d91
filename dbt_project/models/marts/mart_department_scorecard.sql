-- 红黑榜 scorecard: one row per registry department x month (department_code,
-- period_month), for every department of the registry and every month that has
-- any current data in the department's city (a reporting month of a current
-- submission, or a month of a service date, found date or rectified date).
--
-- Measures (department = the responsible department, except for volunteers,
-- where it is the submitting department):
--   investment_completion_rate  sum(cumulative) / sum(planned) of the projects it is
--                               responsible for in that reporting month; null if none
--   volunteer_hours, active_volunteers, volunteer_records
--                               service records with service_date in that month
--   issues_found                issues (latest state) with found_date in that month
--   issues_rectified            issues (latest state, rectified) with rectified_date in that month
--   issues_in_ledger, issues_overdue, rectification_rate, on_time_rate, mean_days_to_rectify
--                               from that month's ledger (fct_issue_status_history):
--                               overdue count; rectified-or-closed / all; rectified on
--                               time / rectified; mean days found->rectified of rectified
-- rank_in_city = rank() within (city, period_month) ordered by
--   rectification_rate desc nulls last, issues_overdue asc,
--   investment_completion_rate desc nulls last, volunteer_hours desc;
-- ties share a rank (1, 1, 3).
with departments as (
    select department_code, city, name as department_name
    from {{ ref('dim_department') }}
),

investment as (
    select * from {{ ref('fct_investment') }}
),

volunteer as (
    select * from {{ ref('fct_volunteer_hours') }}
),

closure as (
    select * from {{ ref('fct_issue_closure') }}
),

history as (
    select * from {{ ref('fct_issue_status_history') }}
),

city_months as (
    select city, period_month from investment
    union
    select city, period_month from volunteer
    union
    select city, {{ month_start('service_date') }} from volunteer
    union
    select city, period_month from history
    union
    select city, {{ month_start('found_date') }} from closure
    union
    select city, {{ month_start('rectified_date') }} from closure
    where is_rectified and rectified_date is not null
),

spine as (
    select
        departments.department_code,
        departments.department_name,
        departments.city,
        city_months.period_month
    from departments
    inner join city_months
        on departments.city = city_months.city
),

investment_by_month as (
    select
        department_code,
        period_month,
        count(*) as investment_projects,
        sum(planned_amount_yuan) as planned_amount_yuan,
        sum(coalesce(cumulative_amount_yuan, 0)) as cumulative_amount_yuan
    from investment
    group by department_code, period_month
),

volunteer_by_month as (
    select
        department_code,
        {{ month_start('service_date') }} as period_month,
        count(*) as volunteer_records,
        count(distinct volunteer_key) as active_volunteers,
        sum(hours) as volunteer_hours
    from volunteer
    group by department_code, {{ month_start('service_date') }}
),

found_by_month as (
    select
        department_code,
        {{ month_start('found_date') }} as period_month,
        count(*) as issues_found
    from closure
    group by department_code, {{ month_start('found_date') }}
),

rectified_by_month as (
    select
        department_code,
        {{ month_start('rectified_date') }} as period_month,
        count(*) as issues_rectified
    from closure
    where is_rectified and rectified_date is not null
    group by department_code, {{ month_start('rectified_date') }}
),

ledger_by_month as (
    select
        department_code,
        period_month,
        count(*) as issues_in_ledger,
        sum(case when is_overdue then 1 else 0 end) as issues_overdue,
        sum(case when is_rectified then 1 else 0 end) as issues_rectified_in_ledger,
        sum(case when is_rectified_on_time then 1 else 0 end) as issues_rectified_on_time,
        sum(days_to_rectify) as total_days_to_rectify,
        count(days_to_rectify) as issues_with_days_to_rectify
    from history
    group by department_code, period_month
),

measured as (
    select
        spine.city,
        spine.department_code,
        spine.department_name,
        spine.period_month,
        cast(coalesce(investment_by_month.investment_projects, 0) as integer) as investment_projects,
        cast(investment_by_month.planned_amount_yuan as numeric(18, 2)) as planned_amount_yuan,
        cast(investment_by_month.cumulative_amount_yuan as numeric(18, 2)) as cumulative_amount_yuan,
        {{ safe_ratio('investment_by_month.cumulative_amount_yuan', 'investment_by_month.planned_amount_yuan') }}
            as investment_completion_rate,
        cast(coalesce(volunteer_by_month.volunteer_records, 0) as integer) as volunteer_records,
        cast(coalesce(volunteer_by_month.volunteer_hours, 0) as numeric(18, 2)) as volunteer_hours,
        cast(coalesce(volunteer_by_month.active_volunteers, 0) as integer) as active_volunteers,
        cast(coalesce(found_by_month.issues_found, 0) as integer) as issues_found,
        cast(coalesce(rectified_by_month.issues_rectified, 0) as integer) as issues_rectified,
        cast(coalesce(ledger_by_month.issues_in_ledger, 0) as integer) as issues_in_ledger,
        cast(coalesce(ledger_by_month.issues_overdue, 0) as integer) as issues_overdue,
        {{ safe_ratio('ledger_by_month.issues_rectified_in_ledger', 'ledger_by_month.issues_in_ledger') }}
            as rectification_rate,
        {{ safe_ratio('ledger_by_month.issues_rectified_on_time', 'ledger_by_month.issues_rectified_in_ledger') }}
            as on_time_rate,
        {{ safe_ratio('ledger_by_month.total_days_to_rectify', 'ledger_by_month.issues_with_days_to_rectify', scale=2) }}
            as mean_days_to_rectify
    from spine
    left join investment_by_month
        on spine.department_code = investment_by_month.department_code
        and spine.period_month = investment_by_month.period_month
    left join volunteer_by_month
        on spine.department_code = volunteer_by_month.department_code
        and spine.period_month = volunteer_by_month.period_month
    left join found_by_month
        on spine.department_code = found_by_month.department_code
        and spine.period_month = found_by_month.period_month
    left join rectified_by_month
        on spine.department_code = rectified_by_month.department_code
        and spine.period_month = rectified_by_month.period_month
    left join ledger_by_month
        on spine.department_code = ledger_by_month.department_code
        and spine.period_month = ledger_by_month.period_month
)

select
    cast(city as varchar)                             as city,
    cast(department_code as varchar)                  as department_code,
    cast(department_name as varchar)                  as department_name,
    cast(period_month as date)                        as period_month,
    cast({{ month_label('period_month') }} as varchar) as month_label,
    cast({{ quarter_label('period_month') }} as varchar) as quarter_label,
    cast(investment_projects as integer)              as investment_projects,
    cast(planned_amount_yuan as numeric(18, 2))       as planned_amount_yuan,
    cast(cumulative_amount_yuan as numeric(18, 2))    as cumulative_amount_yuan,
    cast(investment_completion_rate as numeric(9, 4)) as investment_completion_rate,
    cast(volunteer_records as integer)                as volunteer_records,
    cast(volunteer_hours as numeric(18, 2))           as volunteer_hours,
    cast(active_volunteers as integer)                as active_volunteers,
    cast(issues_found as integer)                     as issues_found,
    cast(issues_rectified as integer)                 as issues_rectified,
    cast(issues_in_ledger as integer)                 as issues_in_ledger,
    cast(issues_overdue as integer)                   as issues_overdue,
    cast(rectification_rate as numeric(9, 4))         as rectification_rate,
    cast(on_time_rate as numeric(9, 4))               as on_time_rate,
    cast(mean_days_to_rectify as numeric(9, 2))       as mean_days_to_rectify,
    cast(rank() over (
        partition by city, period_month
        order by
            rectification_rate desc nulls last,
            issues_overdue asc,
            investment_completion_rate desc nulls last,
            volunteer_hours desc
    ) as integer)                                     as rank_in_city
from measured
