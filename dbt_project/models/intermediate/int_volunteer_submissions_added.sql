-- The current volunteer submissions whose rows this run inserted into fct_volunteer_hours
-- (or that have no rows at all: every row quarantined). fct_volunteer_hours only ever inserts
-- the rows of current submissions it does not hold yet, stamped with this run's start
-- (built_at), so these are the current submissions with no row from an earlier run.
-- On a full refresh or a first build that is every current submission. Built after
-- fct_volunteer_hours in the same `dbt build` (the warehouse always builds the whole
-- project in one invocation); read by int_volunteers_touched and the check of the fact.
select current_submissions.submission_id
from {{ ref('int_volunteer_submissions') }} as current_submissions
where current_submissions.is_current
    and not exists (
        select 1
        from (
            select distinct submission_id
            from {{ ref('fct_volunteer_hours') }}
            where built_at <> {{ this_run_built_at() }}
        ) as earlier
        where earlier.submission_id = current_submissions.submission_id
    )
