-- One row per file ingest saw (source `file_ledger`): accepted, refused or duplicate.
-- Rename/cast only. The clerk's message stays in raw: marts need the reason code only.
with source as (
    select * from {{ source('raw', 'file_ledger') }}
),

renamed as (
    select
        cast(receipt_id as varchar)        as receipt_id,
        cast(run_id as varchar)            as run_id,
        cast(source_file as varchar)       as source_file,
        cast(content_sha256 as varchar)    as content_sha256,
        cast(status as varchar)            as status,
        cast(reason_code as varchar)       as reason_code,
        cast(submission_id as varchar)     as submission_id,
        cast(city as varchar)              as city,
        cast(department_code as varchar)   as department_code,
        cast(kind as varchar)              as kind,
        cast(period_month as date)         as period_month,
        cast(rows_in as integer)           as rows_in,
        cast(rows_loaded as integer)       as rows_loaded,
        cast(rows_quarantined as integer)  as rows_quarantined,
        cast(rows_warned as integer)       as rows_warned,
        cast(received_at as timestamp)     as received_at
    from source
)

select * from renamed
