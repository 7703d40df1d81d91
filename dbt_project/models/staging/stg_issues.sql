-- One row per loaded row of a 问题整改台账 (issue ledger), all submissions.
-- A month's file is the whole ledger as of that month (period_month).
with source as (
    select * from {{ source('raw', 'raw_issue') }}
),

renamed as (
    select
        cast(submission_id as varchar)                as submission_id,
        cast(row_number as integer)                   as source_row_number,
        cast(source_file as varchar)                  as source_file,
        cast(sheet as varchar)                        as sheet,
        cast(loaded_at as timestamp)                  as loaded_at,
        cast(trim(city) as varchar)                   as city,
        cast(trim(department_code) as varchar)        as submitting_department_code,
        cast(period_month as date)                    as period_month,
        cast(trim(issue_code) as varchar)             as issue_code,
        cast(found_date as date)                      as found_date,
        cast(nullif(trim(source), '') as varchar)     as source,
        cast(trim(category) as varchar)               as category,
        cast(nullif(trim(point_type), '') as varchar) as point_type,
        cast(nullif(trim(point_name), '') as varchar) as point_name,
        cast(nullif(trim(district), '') as varchar)   as district,
        cast(nullif(trim(street), '') as varchar)     as street,
        cast(trim(responsible_department_code) as varchar) as responsible_department_code,
        cast(description as varchar)                  as description,
        cast(deadline_date as date)                   as deadline_date,
        cast(trim(status) as varchar)                 as status,
        cast(rectified_date as date)                  as rectified_date,
        cast(nullif(trim(review_result), '') as varchar) as review_result
    from source
)

select * from renamed
