-- One row per issue x ledger month (city, issue_code, period_month) from current
-- issue submissions: the issue's state as of that month. If two current ledgers
-- of the same month list the same issue, the latest loaded submission wins.
-- Per-month flags:
--   is_rectified          status 已整改 or 已销号
--   is_overdue            status 未整改 or 整改中 and deadline_date < last day of period_month
--   is_rectified_on_time  rectified and rectified_date <= deadline_date
--   is_reopened           review_result = 未通过 in that month
--   times_reopened_to_date  months up to this one whose review_result is 未通过
--   days_to_rectify       rectified_date - found_date, null unless rectified
with current_rows as (
    select issue.*
    from {{ ref('stg_issues') }} as issue
    inner join {{ ref('int_issue_submissions') }} as current_submissions
        on issue.submission_id = current_submissions.submission_id
        and current_submissions.is_current
),

ranked as (
    select
        current_rows.*,
        row_number() over (
            partition by city, issue_code, period_month
            order by loaded_at desc, submission_id desc, source_row_number desc
        ) as issue_month_rank
    from current_rows
),

flagged as (
    select
        city,
        issue_code,
        period_month,
        {{ month_end('period_month') }} as period_month_end,
        submitting_department_code,
        responsible_department_code,
        found_date,
        source,
        category,
        point_type,
        point_name,
        district,
        street,
        description,
        deadline_date,
        status,
        rectified_date,
        review_result,
        status in ('已整改', '已销号') as is_rectified,
        status in ('未整改', '整改中') as is_open,
        submission_id,
        source_row_number,
        loaded_at
    from ranked
    where issue_month_rank = 1
)

select
    flagged.*,
    (is_open and deadline_date < period_month_end) as is_overdue,
    coalesce(is_rectified and rectified_date <= deadline_date, false) as is_rectified_on_time,
    coalesce(review_result = '未通过', false) as is_reopened,
    cast(sum(case when review_result = '未通过' then 1 else 0 end) over (
        partition by city, issue_code
        order by period_month
        rows between unbounded preceding and current row
    ) as integer) as times_reopened_to_date,
    case
        when is_rectified and rectified_date is not null
            then {{ days_between('found_date', 'rectified_date') }}
    end as days_to_rectify
from flagged
