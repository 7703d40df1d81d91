with cur_rows as (
    select distinct r.city, r.issue_code, r.period_month
    from raw.raw_issue r join ({current_submissions}) s on s.submission_id = r.submission_id
), latest as (
    select city, issue_code, max(period_month) as period_month from cur_rows group by city, issue_code
), raw_months as (
    select city, period_month, count(*) as raw_issues from cur_rows group by city, period_month
), raw_latest as (
    select city, period_month, count(*) as raw_latest_issues from latest group by city, period_month
), history as (
    select city, period_month, count(*) as history_rows from marts.fct_issue_status_history group by 1, 2
), closure as (
    select city, as_of_month as period_month, count(*) as closure_rows from marts.fct_issue_closure group by 1, 2
), months as (
    select city, period_month from raw_months union select city, period_month from history
    union select city, period_month from closure
)
select m.city, m.period_month,
       coalesce(raw_months.raw_issues, 0) as raw_issues, coalesce(history.history_rows, 0) as history_rows,
       coalesce(raw_latest.raw_latest_issues, 0) as raw_latest_issues,
       coalesce(closure.closure_rows, 0) as closure_rows
from months m
left join raw_months on raw_months.city = m.city and raw_months.period_month = m.period_month
left join raw_latest on raw_latest.city = m.city and raw_latest.period_month = m.period_month
left join history on history.city = m.city and history.period_month = m.period_month
left join closure on closure.city = m.city and closure.period_month = m.period_month
order by m.city, m.period_month
