with facts as (
    select 'fct_investment' as relation, 'investment' as fact_kind, submission_id, count(*) as fact_rows
    from marts.fct_investment group by submission_id
    union all
    select 'fct_volunteer_hours', 'volunteer', submission_id, count(*)
    from marts.fct_volunteer_hours group by submission_id
    union all
    select 'fct_issue_status_history', 'issue', submission_id, count(*)
    from marts.fct_issue_status_history group by submission_id
    union all
    select 'fct_issue_closure', 'issue', submission_id, count(*) from marts.fct_issue_closure group by submission_id
)
select facts.relation, facts.submission_id, facts.fact_rows, facts.fact_kind,
       coalesce(s.kind, '(none)') as submission_kind,
       coalesce(s.submission_id is not null and s.superseded_by is null, false) as submission_current
from facts left join raw.submissions s on s.submission_id = facts.submission_id
order by facts.relation, facts.submission_id
