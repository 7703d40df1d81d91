-- 本月哪些单位的逾期问题最多
-- Which departments have the most overdue issues this month.
-- "This month" is the newest ledger month in the warehouse; on live data use
-- cast(date_trunc('month', current_date) as date) instead. Overdue = status
-- 未整改/整改中 and the deadline before the month's last day; the department is
-- the responsible one (责任单位).
select
    history.city,
    history.department_code,
    department.name          as department_name,
    history.period_month,
    count(*)                 as overdue_issues
from marts.fct_issue_status_history as history
inner join marts.dim_department as department
    on department.department_code = history.department_code
where history.is_overdue
  and history.period_month = (select max(period_month) from marts.fct_issue_status_history)
group by history.city, history.department_code, department.name, history.period_month
order by overdue_issues desc, history.city, history.department_code
