with raw_keys as (
    select r.city, r.period_month, count(distinct r.project_code) as raw_projects
    from raw.raw_investment r join ({current_submissions}) s on s.submission_id = r.submission_id
    group by r.city, r.period_month
), mart as (
    select city, period_month, count(*) as mart_rows from marts.fct_investment group by city, period_month
)
select coalesce(raw_keys.city, mart.city) as city, coalesce(raw_keys.period_month, mart.period_month) as period_month,
       coalesce(raw_projects, 0) as raw_projects, coalesce(mart_rows, 0) as mart_rows
from raw_keys full join mart on mart.city = raw_keys.city and mart.period_month = raw_keys.period_month
order by city, period_month
