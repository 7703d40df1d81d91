-- 问题整改台账 history: one row per issue x ledger month (city, issue_code,
-- period_month) from current issue submissions; the state of each issue as of
-- each month. Flags as in int_issues_historized.
with history as (
    select * from {{ ref('int_issues_historized') }}
)

select
    cast(city as varchar)                        as city,
    cast(responsible_department_code as varchar) as department_code,
    cast(submitting_department_code as varchar)  as submitting_department_code,
    cast(issue_code as varchar)                  as issue_code,
    cast(period_month as date)                   as period_month,
    cast({{ month_label('period_month') }} as varchar) as month_label,
    cast({{ quarter_label('period_month') }} as varchar) as quarter_label,
    cast(category as varchar)                    as category,
    cast(source as varchar)                      as source,
    cast(point_type as varchar)                  as point_type,
    cast(point_name as varchar)                  as point_name,
    cast(district as varchar)                    as district,
    cast(street as varchar)                      as street,
    cast(found_date as date)                     as found_date,
    cast(deadline_date as date)                  as deadline_date,
    cast(rectified_date as date)                 as rectified_date,
    cast(status as varchar)                      as status,
    cast(review_result as varchar)               as review_result,
    cast(is_rectified as boolean)                as is_rectified,
    cast(is_overdue as boolean)                  as is_overdue,
    cast(is_rectified_on_time as boolean)        as is_rectified_on_time,
    cast(is_reopened as boolean)                 as is_reopened,
    cast(times_reopened_to_date as integer)      as times_reopened_to_date,
    cast(days_to_rectify as integer)             as days_to_rectify,
    cast(submission_id as varchar)               as submission_id,
    cast(loaded_at as timestamp)                 as loaded_at
from history
