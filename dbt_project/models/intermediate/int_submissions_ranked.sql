-- Every accepted submission ranked within its group (city, submitting department,
-- kind, reporting month): rank 1 = the latest loaded_at, ties broken by the
-- greatest submission_id. Rank 1 is the *current* submission unless the mart audit
-- held it back (stg_held_submissions): then the group has no current submission
-- until the department resubmits. Only current rows feed the facts.
-- Derived here rather than trusting submissions.superseded_by.
with submissions as (
    select * from {{ ref('stg_submissions') }}
),

held as (
    select * from {{ ref('stg_held_submissions') }}
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
    ranked.*,
    held.submission_id is not null as is_held,
    held.held_reason,
    held.held_reason_zh,
    ranked.submission_rank = 1 and held.submission_id is null as is_current
from ranked
left join held
    on held.submission_id = ranked.submission_id
