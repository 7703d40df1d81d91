-- The volunteers whose dim_volunteer row this run may change. fct_volunteer_hours inserts
-- the rows of current submissions new to it and its post-hook deletes the rows of
-- submissions no longer current, so these are exactly
--   * the volunteers of the rows this run inserted, and
--   * the volunteers of the rows of superseded submissions in a group (city, department,
--     month) whose current submission is new to the table: the rows the post-hook retired
--     (a current submission without rows retires rows too).
--   * the volunteers of every submission in a group whose latest submission is held back
--     by the mart audit (its rows never enter; the group's earlier rows leave the fact).
-- On a full refresh or a first build every row is inserted by the run: every volunteer.
-- dim_volunteer's incremental run recomputes these (and drops those left without records).
{{ config(post_hook=["{{ refresh_planner_statistics() }}"]) }}

select fct.volunteer_key
from {{ ref('fct_volunteer_hours') }} as fct
where fct.built_at = {{ this_run_built_at() }}

union

select retired.volunteer_key
from {{ ref('stg_volunteers') }} as retired
inner join {{ ref('int_volunteer_submissions') }} as superseded
    on retired.submission_id = superseded.submission_id
where not superseded.is_current
    and (superseded.current_submission_id in (
            select submission_id from {{ ref('int_volunteer_submissions_added') }}
        )
        or superseded.current_submission_id in (
            select submission_id from {{ ref('int_volunteer_submissions') }} where is_held
        ))
