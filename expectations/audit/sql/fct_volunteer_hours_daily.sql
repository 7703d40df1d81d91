select volunteer_key, service_date, sum(hours) as daily_hours, count(*) as records,
       string_agg(distinct department_code, ',' order by department_code) as department_codes,
       string_agg(distinct submission_id, ',' order by submission_id) as submission_ids
from marts.fct_volunteer_hours group by volunteer_key, service_date
order by volunteer_key, service_date
