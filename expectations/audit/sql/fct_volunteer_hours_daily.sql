-- One row per volunteer and day; newest_submission_id: the latest loaded of the day's submissions
-- (ties: the greatest id, as int_submissions_ranked), the one a day over 24 h is blamed on.
select volunteer_key, service_date, sum(hours) as daily_hours, count(*) as records,
       string_agg(distinct department_code, ',' order by department_code) as department_codes,
       string_agg(distinct submission_id, ',' order by submission_id) as submission_ids,
       first(submission_id order by loaded_at desc, submission_id desc) as newest_submission_id
from marts.fct_volunteer_hours group by volunteer_key, service_date
order by volunteer_key, service_date
