-- One row per GX expectation per validation (source `quality_results`, the quality store).
-- Rename/cast only.
with source as (
    select * from {{ source('raw', 'quality_results') }}
),

renamed as (
    select
        cast(result_id as varchar)        as result_id,
        cast(run_id as varchar)           as run_id,
        cast(target as varchar)           as target,
        cast(gate as varchar)             as gate,
        cast(suite as varchar)            as suite,
        cast(expectation as varchar)      as expectation,
        cast(column_name as varchar)      as column_name,
        cast(city as varchar)             as city,
        cast(department_code as varchar)  as department_code,
        cast(kind as varchar)             as kind,
        cast(period_month as date)        as period_month,
        cast(submission_id as varchar)    as submission_id,
        cast(source_file as varchar)      as source_file,
        cast(element_count as bigint)     as element_count,
        cast(unexpected_count as bigint)  as unexpected_count,
        cast(success as boolean)          as success,
        cast(action as varchar)           as action,
        cast(reason_code as varchar)      as reason_code,
        cast(sample as varchar)           as sample,
        cast(checked_at as timestamp)     as checked_at
    from source
)

select * from renamed
