-- dim_date has every day from 2020-01-01 to 2030-12-31 and nothing else (4018 days).
select count(*) as days, min(date_day) as first_day, max(date_day) as last_day
from {{ ref('dim_date') }}
having count(*) <> 4018
    or min(date_day) <> date '2020-01-01'
    or max(date_day) <> date '2030-12-31'
