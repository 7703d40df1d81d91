-- One row per row ingest refused (source `quarantine`), with its reason code.
-- Rename/cast only. The refused cell's value and the clerk's message stay in raw.
with source as (
    select * from {{ source('raw', 'quarantine') }}
),

renamed as (
    select
        cast(submission_id as varchar)   as submission_id,
        cast(source_file as varchar)     as source_file,
        cast(sheet as varchar)           as sheet,
        cast(row_number as integer)      as source_row_number,
        cast(field as varchar)           as field,
        cast(reason_code as varchar)     as reason_code,
        cast(quarantined_at as timestamp) as quarantined_at
    from source
)

select * from renamed
