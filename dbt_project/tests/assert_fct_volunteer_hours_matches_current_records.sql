-- The incremental fct_volunteer_hours must hold exactly the records of current
-- volunteer submissions (what a full refresh would build): none missing, none
-- left over from a superseded submission.
with expected as (
    select volunteer.record_id
    from {{ ref('stg_volunteer') }} as volunteer
    inner join {{ ref('int_submissions_ranked') }} as submissions
        on volunteer.submission_id = submissions.submission_id
    where submissions.is_current and submissions.kind = 'volunteer'
),

actual as (
    select record_id from {{ ref('fct_volunteer_hours') }}
)

select expected.record_id, 'missing' as problem
from expected
where not exists (select 1 from actual where actual.record_id = expected.record_id)

union all

select actual.record_id, 'not current' as problem
from actual
where not exists (select 1 from expected where expected.record_id = actual.record_id)
