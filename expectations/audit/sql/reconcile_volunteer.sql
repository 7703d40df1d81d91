with cur as (
    select submission_id, city, department_code, period_month, rows_loaded
    from ({current_submissions}) s where kind = 'volunteer'
), raw_rows as (
    select submission_id, count(*) as n, cast(sum(hours) as decimal(18, 2)) as hours
    from raw.raw_volunteer group by submission_id
), mart as (
    select submission_id, min(city) as city, min(department_code) as department_code,
           count(*) as n, cast(sum(hours) as decimal(18, 2)) as hours
    from marts.fct_volunteer_hours group by submission_id
)
select coalesce(cur.submission_id, mart.submission_id) as submission_id,
       coalesce(cur.city, mart.city) as city,
       coalesce(cur.department_code, mart.department_code) as department_code,
       cur.period_month,
       coalesce(cur.rows_loaded, 0) as loaded_rows,
       case when cur.submission_id is null then 0 else coalesce(raw_rows.n, 0) end as raw_rows,
       coalesce(mart.n, 0) as mart_rows,
       case when cur.submission_id is null then 0 else coalesce(raw_rows.hours, 0) end as raw_hours,
       coalesce(mart.hours, 0) as mart_hours
from cur
full join mart on mart.submission_id = cur.submission_id
left join raw_rows on raw_rows.submission_id = coalesce(cur.submission_id, mart.submission_id)
order by submission_id
