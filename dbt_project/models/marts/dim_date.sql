-- Calendar: one row per day from 2020-01-01 to 2030-12-31. Built from
-- cross-joined digits so the same SQL runs on DuckDB and PostgreSQL
-- (no generate_series / range differences). iso_week/iso_year follow ISO 8601.
with digits as (
    select 0 as digit union all select 1 union all select 2 union all select 3
    union all select 4 union all select 5 union all select 6 union all select 7
    union all select 8 union all select 9
),

numbers as (
    select
        ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
),

days as (
    select cast(date '2020-01-01' + day_offset as date) as date_day
    from numbers
    where day_offset <= (date '2030-12-31' - date '2020-01-01')
)

select
    cast(date_day as date)                              as date_day,
    cast(extract(year from date_day) as integer)        as year,
    cast(extract(quarter from date_day) as integer)     as quarter,
    cast(extract(month from date_day) as integer)       as month,
    cast(extract(day from date_day) as integer)         as day_of_month,
    cast(extract(isodow from date_day) as integer)      as iso_day_of_week,
    cast(extract(week from date_day) as integer)        as iso_week,
    cast(extract(isoyear from date_day) as integer)     as iso_year,
    {{ month_start('date_day') }}                       as month_start,
    {{ month_end('date_day') }}                         as month_end,
    cast(extract(isodow from date_day) in (6, 7) as boolean) as is_weekend,
    cast({{ month_label('date_day') }} as varchar)       as month_label,
    cast({{ quarter_label('date_day') }} as varchar)     as quarter_label
from days
