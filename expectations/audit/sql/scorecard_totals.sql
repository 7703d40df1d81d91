with card as (
    select department_code, cast(sum(volunteer_hours) as decimal(18, 2)) as scorecard_volunteer_hours,
           sum(investment_projects) as scorecard_investment_rows, sum(issues_found) as scorecard_issues_found,
           sum(issues_in_ledger) as scorecard_issues_in_ledger
    from marts.mart_department_scorecard group by department_code
), hours as (
    select department_code, cast(sum(hours) as decimal(18, 2)) as v from marts.fct_volunteer_hours group by 1
), projects as (
    select department_code, count(*) as v from marts.fct_investment group by 1
), issues as (
    select department_code, count(*) as v from marts.fct_issue_closure group by 1
), history as (
    select department_code, count(*) as v from marts.fct_issue_status_history group by 1
), departments as (
    select department_code from card union select department_code from hours
    union select department_code from projects union select department_code from issues
    union select department_code from history
)
select d.department_code,
       coalesce(card.scorecard_volunteer_hours, 0) as scorecard_volunteer_hours,
       coalesce(hours.v, 0) as fact_volunteer_hours,
       coalesce(card.scorecard_investment_rows, 0) as scorecard_investment_rows,
       coalesce(projects.v, 0) as fact_investment_rows,
       coalesce(card.scorecard_issues_found, 0) as scorecard_issues_found,
       coalesce(issues.v, 0) as fact_issues,
       coalesce(card.scorecard_issues_in_ledger, 0) as scorecard_issues_in_ledger,
       coalesce(history.v, 0) as fact_issue_history_rows
from departments d
left join card on card.department_code = d.department_code
left join hours on hours.department_code = d.department_code
left join projects on projects.department_code = d.department_code
left join issues on issues.department_code = d.department_code
left join history on history.department_code = d.department_code
order by d.department_code
