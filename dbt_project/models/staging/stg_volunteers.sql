-- One row per loaded 志愿服务记录 (volunteer service record), all submissions.
-- record_id = submission_id || '-' || row number in the file: stable across runs.
-- Incremental (append): raw_volunteer only ever gains whole submissions (each file's
-- rows are written in one transaction, superseded ones stay), so a run adds the rows
-- of submissions not yet here; a full refresh rebuilds the same rows from scratch.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        post_hook=["{{ refresh_planner_statistics() }}"]
    )
}}

with source as (
    select * from {{ source('raw', 'raw_volunteer') }} as raw_rows
    {% if is_incremental() %}
    where not exists (
        -- the table's few submission ids first: far cheaper than probing its every row
        select 1 from (select distinct submission_id from {{ this }}) as existing
        where existing.submission_id = raw_rows.submission_id
    )
    {% endif %}
),

renamed as (
    select
        cast(submission_id || '-' || cast(row_number as varchar) as varchar) as record_id,
        cast(submission_id as varchar)              as submission_id,
        cast(row_number as integer)                 as source_row_number,
        cast(source_file as varchar)                as source_file,
        cast(sheet as varchar)                      as sheet,
        cast(loaded_at as timestamp)                as loaded_at,
        cast(trim(city) as varchar)                 as city,
        cast(trim(department_code) as varchar)      as department_code,
        cast(period_month as date)                  as period_month,
        cast(volunteer_key as varchar)              as volunteer_key,
        cast(trim(masked_name) as varchar)          as masked_name,
        cast(masked_phone as varchar)               as masked_phone,
        cast(nullif(trim(team), '') as varchar)     as team,
        cast(trim(activity) as varchar)             as activity,
        cast(nullif(trim(category), '') as varchar) as category,
        cast(service_date as date)                  as service_date,
        cast(hours as numeric(6, 2))                as hours
    from source
)

select * from renamed
