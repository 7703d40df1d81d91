{#-
    What one run changed in the volunteer facts, for what follows fct_volunteer_hours
    incrementally: dim_volunteer and the check of the fact against current records.

    fct_volunteer_hours only ever inserts the rows of current submissions it does not hold yet
    (their built_at is this run's start) and deletes the rows of submissions that are no longer
    current. So the volunteers whose figures a run can change are exactly
      * those of the rows inserted by this run, and
      * those of the rows of superseded submissions in a group (city, department, month) whose
        current submission is new to the table: the rows the post-hook retired.
    A current submission with no rows at all (every row quarantined) retires rows too, so a
    group counts as touched when its current submission has no rows from an earlier run.
    (tests/assert_fct_volunteer_hours_matches_current_records.sql checks the same rows.)
    On a full refresh or a first build every row is inserted by the run: everything is touched.
    The models and tests using these must run in the same `dbt build` as fct_volunteer_hours
    (the warehouse always builds the whole project in one invocation).
-#}

{#- This run's start, as fct_volunteer_hours stamps it in built_at. -#}
{% macro this_run_built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- Current volunteer submissions whose rows this run inserted (or that have none): one column submission_id. -#}
{% macro volunteer_submissions_new_this_run() -%}
    select ranked.submission_id
    from {{ ref('int_submissions_ranked') }} as ranked
    where ranked.is_current
        and ranked.kind = 'volunteer'
        and not exists (
            select 1
            from (
                select distinct submission_id
                from {{ ref('fct_volunteer_hours') }}
                where built_at <> {{ this_run_built_at() }}
            ) as earlier
            where earlier.submission_id = ranked.submission_id
        )
{%- endmacro %}

{#- Volunteer keys whose dim_volunteer row this run may change: one column volunteer_key. -#}
{% macro volunteer_keys_touched_this_run() -%}
    select fct.volunteer_key
    from {{ ref('fct_volunteer_hours') }} as fct
    where fct.built_at = {{ this_run_built_at() }}
    union
    select retired.volunteer_key
    from {{ ref('stg_volunteer') }} as retired
    inner join {{ ref('int_submissions_ranked') }} as superseded
        on retired.submission_id = superseded.submission_id
    where not superseded.is_current
        and superseded.kind = 'volunteer'
        and superseded.current_submission_id in ({{ volunteer_submissions_new_this_run() }})
{%- endmacro %}
