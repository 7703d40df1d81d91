-- One row per loaded row of a 创建项目投资台账 (investment ledger), all submissions.
-- Rename/cast/normalise only: the stage gets its ordinal (stage_order).
with source as (
    select * from {{ source('raw', 'raw_investment') }}
),

renamed as (
    select
        cast(submission_id as varchar)               as submission_id,
        cast(row_number as integer)                  as source_row_number,
        cast(source_file as varchar)                 as source_file,
        cast(sheet as varchar)                       as sheet,
        cast(loaded_at as timestamp)                 as loaded_at,
        cast(trim(city) as varchar)                  as city,
        cast(trim(department_code) as varchar)       as submitting_department_code,
        cast(period_month as date)                   as period_month,
        cast(trim(project_code) as varchar)          as project_code,
        cast(trim(project_name) as varchar)          as project_name,
        cast(trim(responsible_department_code) as varchar) as responsible_department_code,
        cast(nullif(trim(category), '') as varchar)  as category,
        cast(planned_amount_yuan as numeric(18, 2))  as planned_amount_yuan,
        cast(month_amount_yuan as numeric(18, 2))    as month_amount_yuan,
        cast(cumulative_amount_yuan as numeric(18, 2)) as cumulative_amount_yuan,
        cast(trim(stage) as varchar)                 as stage,
        cast(start_date as date)                     as start_date,
        cast(finish_date as date)                    as finish_date
    from source
),

normalised as (
    select
        *,
        cast(
            case stage
                when '编制方案/可研' then 1
                when '施工图设计' then 2
                when '招投标' then 3
                when '开工建设' then 4
                when '已完工' then 5
            end
        as integer) as stage_order
    from renamed
)

select * from normalised
