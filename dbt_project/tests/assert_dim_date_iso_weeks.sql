-- ISO 8601 weeks at year boundaries, the same on DuckDB and PostgreSQL:
-- 2021-01-03 is in week 53 of 2020, 2021-01-04 starts week 1 of 2021,
-- 2024-12-30 is in week 1 of 2025; quarter and month follow the calendar.
with expected as (
    select date '2021-01-03' as date_day, 2020 as iso_year, 53 as iso_week, 1 as quarter, 1 as month, 7 as iso_day_of_week
    union all select date '2021-01-04', 2021, 1, 1, 1, 1
    union all select date '2022-06-30', 2022, 26, 2, 6, 4
    union all select date '2024-12-30', 2025, 1, 4, 12, 1
)

select expected.*
from expected
left join {{ ref('dim_date') }} as dim_date
    on dim_date.date_day = expected.date_day
where dim_date.date_day is null
   or dim_date.iso_year <> expected.iso_year
   or dim_date.iso_week <> expected.iso_week
   or dim_date.quarter <> expected.quarter
   or dim_date.month <> expected.month
   or dim_date.iso_day_of_week <> expected.iso_day_of_week
