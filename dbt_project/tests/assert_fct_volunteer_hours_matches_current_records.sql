-- The incremental fct_volunteer_hours must hold exactly the records of current
-- volunteer submissions (what a full refresh would build): none missing, none
-- left over from a superseded submission.
-- In an incremental build the two expensive comparisons are limited to what the run
-- wrote (the current submissions new to the table and the rows it inserted); that no
-- row of a superseded submission is left anywhere is still checked over the whole
-- table. A full refresh compares every row.
-- read by incremental runs only; named here so that a parse saved by a full refresh knows it:
-- depends_on: {{ ref('int_volunteer_submissions_added') }}
{%- set incremental = not flags.FULL_REFRESH %}

with current_submissions as (
    select submission_id
    from {{ ref('int_volunteer_submissions') }}
    where is_current
),

expected as (
    select volunteer.record_id
    from {{ ref('stg_volunteers') }} as volunteer
    inner join current_submissions
        on volunteer.submission_id = current_submissions.submission_id
    {%- if incremental %}
    where volunteer.submission_id in (select submission_id from {{ ref('int_volunteer_submissions_added') }})
    {%- endif %}
),

actual as (
    select record_id from {{ ref('fct_volunteer_hours') }}
    {%- if incremental %}
    where built_at = {{ this_run_built_at() }}
    {%- endif %}
)

select expected.record_id, 'missing' as problem
from expected
where not exists (select 1 from actual where actual.record_id = expected.record_id)

union all

select actual.record_id, 'not current' as problem
from actual
where not exists (select 1 from expected where expected.record_id = actual.record_id)
{%- if incremental %}

union all

select fct.record_id, 'not current' as problem
from {{ ref('fct_volunteer_hours') }} as fct
where fct.submission_id not in (select submission_id from current_submissions)
{%- endif %}
