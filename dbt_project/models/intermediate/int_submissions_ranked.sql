-- Every accepted submission ranked within its group (city, submitting department,
-- kind, reporting month): rank 1 = the latest loaded_at, ties broken by the
-- greatest submission_id. Rank 1 is the *current* submission; only its rows feed
-- the facts. Derived here rather than trusting submissions.superseded_by.
with submissions as (
    select * from {{ ref('stg_submissions') }}
),

ranked as (
    select
        submissions.*,
        cast(row_number() over (
            partition by city, department_code, kind, period_month
            order by loaded_at desc, submission_id desc
        ) as integer) as submission_rank,
        cast(first_value(submission_id) over (
            partition by city, department_code, kind, period_month
            order by loaded_at desc, submission_id desc
        ) as varchar) as current_submission_id,
        cast(count(*) over (
            partition by city, department_code, kind, period_month
        ) as integer) as submissions_in_group
    from submissions
)

select
    *,
    submission_rank = 1 as is_current
from ranked
