-- Volunteers: one row per volunteer_key (a keyed hash of the ID number) seen in
-- current volunteer records. total_hours sums fct_volunteer_hours; star_level
-- follows the national standard on cumulative recorded hours:
--   >= 100 h -> 1, >= 300 -> 2, >= 600 -> 3, >= 1000 -> 4, >= 1500 -> 5, else 0.
-- masked_name is the one of the latest loaded record (then latest service date).
-- city is set only when all of the volunteer's records are in one city.
-- Incremental (delete+insert on volunteer_key, DuckDB and PostgreSQL): a run recomputes
-- only the volunteers whose records it changed in fct_volunteer_hours (new rows, rows of
-- superseded submissions: int_volunteers_touched) from all of their current
-- records; the post-hook drops those left with no current record. Every other row is a
-- function of records the run did not touch, so the table equals a full rebuild.
-- read by incremental runs only: depends_on: {{ ref('int_volunteers_touched') }}
{{
    config(
        materialized='incremental',
        unique_key='volunteer_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} as dim where dim.volunteer_key in (select volunteer_key from {{ ref('int_volunteers_touched') }}) and not exists (select 1 from {{ ref('fct_volunteer_hours') }} as fct where fct.volunteer_key = dim.volunteer_key){% endif %}"
        ]
    )
}}

{%- if is_incremental() %}
with touched as (
    select volunteer_key from {{ ref('int_volunteers_touched') }}
),

records as (
{%- else %}
with records as (
{%- endif %}
    select
        fct.record_id,
        fct.city,
        fct.volunteer_key,
        fct.service_date,
        fct.hours,
        fct.loaded_at,
        stg.masked_name
    from {{ ref('fct_volunteer_hours') }} as fct
    inner join {{ ref('stg_volunteers') }} as stg
        on fct.record_id = stg.record_id
    {%- if is_incremental() %}
    where fct.volunteer_key in (select volunteer_key from touched)
    {%- endif %}
),

latest_name as (
    select volunteer_key, masked_name
    from (
        select
            volunteer_key,
            masked_name,
            row_number() over (
                partition by volunteer_key
                order by loaded_at desc, service_date desc, record_id desc
            ) as name_rank
        from records
    ) as ranked
    where name_rank = 1
),

totals as (
    select
        volunteer_key,
        sum(hours) as total_hours,
        count(*) as service_records,
        count(distinct city) as cities,
        min(city) as any_city,
        min(service_date) as first_service_date,
        max(service_date) as last_service_date
    from records
    group by volunteer_key
)

select
    cast(totals.volunteer_key as varchar)        as volunteer_key,
    cast(latest_name.masked_name as varchar)     as masked_name,
    cast(case when totals.cities = 1 then totals.any_city end as varchar) as city,
    cast(totals.cities as integer)               as city_count,
    cast(totals.total_hours as numeric(18, 2))   as total_hours,
    cast(
        case
            when totals.total_hours >= 1500 then 5
            when totals.total_hours >= 1000 then 4
            when totals.total_hours >= 600 then 3
            when totals.total_hours >= 300 then 2
            when totals.total_hours >= 100 then 1
            else 0
        end
    as integer)                                  as star_level,
    cast(totals.service_records as integer)      as service_records,
    cast(totals.first_service_date as date)      as first_service_date,
    cast(totals.last_service_date as date)       as last_service_date
from totals
inner join latest_name
    on totals.volunteer_key = latest_name.volunteer_key
