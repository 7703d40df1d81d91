-- One row per submission the mart audit held back (source `held_submissions`), with the
-- failed expectations and the reason in English and Chinese. Rename/cast only.
with source as (
    select * from {{ source('raw', 'held_submissions') }}
),

renamed as (
    select
        cast(submission_id as varchar)  as submission_id,
        cast(run_id as varchar)         as held_by_run_id,
        cast(held_at as timestamp)      as held_at,
        cast(expectations as varchar)   as held_expectations,
        cast(reason as varchar)         as held_reason,
        cast(reason_zh as varchar)      as held_reason_zh
    from source
)

select * from renamed
