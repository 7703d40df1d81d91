-- The scorecard adds up to the facts it summarises, per city and month:
-- overdue issues and ledger size to fct_issue_status_history, volunteer hours
-- (by service month) to fct_volunteer_hours; rates stay within 0..1 and ranks
-- start at 1.
with scorecard as (
    select
        city,
        period_month,
        sum(issues_overdue)   as issues_overdue,
        sum(issues_in_ledger) as issues_in_ledger,
        sum(volunteer_hours)  as volunteer_hours,
        min(rank_in_city)     as best_rank,
        max(case when rectification_rate < 0 or rectification_rate > 1
                   or on_time_rate < 0 or on_time_rate > 1 then 1 else 0 end) as bad_rate
    from {{ ref('mart_department_scorecard') }}
    group by city, period_month
),

ledger as (
    select
        city,
        period_month,
        sum(case when is_overdue then 1 else 0 end) as issues_overdue,
        count(*) as issues_in_ledger
    from {{ ref('fct_issue_status_history') }}
    group by city, period_month
),

hours as (
    select city, {{ month_start('service_date') }} as period_month, sum(hours) as volunteer_hours
    from {{ ref('fct_volunteer_hours') }}
    group by city, {{ month_start('service_date') }}
)

select scorecard.*
from scorecard
left join ledger
    on ledger.city = scorecard.city and ledger.period_month = scorecard.period_month
left join hours
    on hours.city = scorecard.city and hours.period_month = scorecard.period_month
where scorecard.issues_overdue <> coalesce(ledger.issues_overdue, 0)
   or scorecard.issues_in_ledger <> coalesce(ledger.issues_in_ledger, 0)
   or scorecard.volunteer_hours <> coalesce(hours.volunteer_hours, 0)
   or scorecard.best_rank <> 1
   or scorecard.bad_rate = 1
