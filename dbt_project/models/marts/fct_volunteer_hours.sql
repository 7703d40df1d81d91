-- 志愿服务记录 fact: one row per service record of a current volunteer submission.
-- Incremental (delete+insert on record_id, works on DuckDB and PostgreSQL):
--   * an incremental run inserts the rows of current submissions not yet in the
--     table (i.e. loaded since the last run; robust to equal or out-of-order
--     loaded_at values),
--   * the post-hook then deletes rows whose submission is no longer current
--     (superseded by a resubmission for the same city/department/month).
-- A full refresh selects exactly the current rows, so both paths agree.
-- built_at is the start of the dbt run that inserted the row: rows kept from an
-- earlier run keep their built_at, so a run's footprint is visible in the data.
{{
    config(
        materialized='incremental',
        unique_key='record_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where submission_id not in (select submission_id from {{ ref('int_volunteer_submissions') }} where is_current)",
            "{{ refresh_planner_statistics() }}"
        ]
    )
}}

with new_rows as (
    select volunteer.*
    from {{ ref('stg_volunteers') }} as volunteer
    inner join {{ ref('int_volunteer_submissions') }} as current_submissions
        on volunteer.submission_id = current_submissions.submission_id
        and current_submissions.is_current
    {% if is_incremental() %}
    where not exists (
        -- the table's few submission ids first: far cheaper than probing its every row
        select 1
        from (select distinct submission_id from {{ this }}) as existing
        where existing.submission_id = volunteer.submission_id
    )
    {% endif %}
)

select
    cast(record_id as varchar)       as record_id,
    cast(city as varchar)            as city,
    cast(department_code as varchar) as department_code,
    cast(volunteer_key as varchar)   as volunteer_key,
    cast(service_date as date)       as service_date,
    cast(hours as numeric(6, 2))     as hours,
    cast(category as varchar)        as category,
    cast(activity as varchar)        as activity,
    cast(team as varchar)            as team,
    cast(period_month as date)       as period_month,
    cast(submission_id as varchar)   as submission_id,
    cast(source_row_number as integer) as source_row_number,
    cast(loaded_at as timestamp)     as loaded_at,
    {{ this_run_built_at() }}       as built_at
from new_rows
