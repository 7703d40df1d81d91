-- One row per accepted submission, as ingest recorded it. Rename/cast only;
-- which submission is current is derived downstream (int_submissions_ranked).
with source as (
    select * from {{ source('raw', 'submissions') }}
),

renamed as (
    select
        cast(submission_id as varchar)      as submission_id,
        cast(trim(city) as varchar)         as city,
        cast(trim(department_code) as varchar) as department_code,
        cast(lower(trim(kind)) as varchar)  as kind,
        cast(period_month as date)          as period_month,
        cast(source_file as varchar)        as source_file,
        cast(lower(file_format) as varchar) as file_format,
        cast(sheet as varchar)              as sheet,
        cast(encoding as varchar)           as source_encoding,
        cast(submitted_at as timestamp)     as submitted_at,
        cast(loaded_at as timestamp)        as loaded_at,
        cast(rows_in as integer)            as rows_in,
        cast(rows_loaded as integer)        as rows_loaded,
        cast(rows_quarantined as integer)   as rows_quarantined,
        cast(superseded_by as varchar)      as ingest_superseded_by,
        cast(superseded_at as timestamp)    as ingest_superseded_at
    from source
)

select * from renamed
