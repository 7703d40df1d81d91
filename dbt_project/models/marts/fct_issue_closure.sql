-- 问题整改台账 fact: one row per issue (city, issue_code) in its latest state,
-- i.e. the row of the newest period_month among current issue submissions
-- (as_of_month). times_reopened counts the distinct months of the issue's
-- current history whose review_result is 未通过.
with history as (
    select * from {{ ref('int_issues_historized') }}
),

per_issue as (
    select
        city,
        issue_code,
        min(period_month) as first_seen_month,
        count(*) as months_in_ledger,
        count(distinct case when is_reopened then period_month end) as times_reopened
    from history
    group by city, issue_code
),

latest as (
    select
        history.*,
        row_number() over (
            partition by city, issue_code
            order by period_month desc, loaded_at desc, submission_id desc
        ) as recency_rank
    from history
)

select
    cast(latest.city as varchar)                        as city,
    cast(latest.responsible_department_code as varchar) as department_code,
    cast(latest.submitting_department_code as varchar)  as submitting_department_code,
    cast(latest.issue_code as varchar)                  as issue_code,
    cast(latest.category as varchar)                    as category,
    cast(latest.source as varchar)                      as source,
    cast(latest.point_type as varchar)                  as point_type,
    cast(latest.point_name as varchar)                  as point_name,
    cast(latest.district as varchar)                    as district,
    cast(latest.street as varchar)                      as street,
    cast(latest.found_date as date)                     as found_date,
    cast(latest.deadline_date as date)                  as deadline_date,
    cast(latest.rectified_date as date)                 as rectified_date,
    cast(latest.status as varchar)                      as status,
    cast(latest.review_result as varchar)               as review_result,
    cast(latest.days_to_rectify as integer)             as days_to_rectify,
    cast(latest.is_rectified as boolean)                as is_rectified,
    cast(latest.is_overdue as boolean)                  as is_overdue,
    cast(latest.is_rectified_on_time as boolean)        as is_rectified_on_time,
    cast(per_issue.times_reopened as integer)           as times_reopened,
    cast(per_issue.months_in_ledger as integer)         as months_in_ledger,
    cast(per_issue.first_seen_month as date)            as first_seen_month,
    cast(latest.period_month as date)                   as as_of_month,
    cast(latest.submission_id as varchar)               as submission_id,
    cast(latest.loaded_at as timestamp)                 as loaded_at
from latest
inner join per_issue
    on latest.city = per_issue.city
    and latest.issue_code = per_issue.issue_code
where latest.recency_rank = 1
