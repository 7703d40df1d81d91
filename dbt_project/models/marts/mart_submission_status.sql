-- 报送跟踪: one row per (department, kind, reporting month) that a department owes
-- (registry column `owes`) or has sent, over the tracked months.
--
--   tracked months  every month from the earliest to the latest reporting month of any
--                   accepted submission (vars submission_tracking_start / _end, 'YYYY-MM',
--                   override either end)
--   due_date        day `submission_due_day` (var, default 5) of the following month
--   received        accepted submissions for the slot; the receipt time is the form system's
--                   submitted_at when the file carries one, else when ingest loaded it
--   status          on_time | late  (first accepted submission on/after due_date)
--                   missing         owed, nothing accepted, due_date before the as-of date
--                   pending         owed, nothing accepted yet, not due yet
--                   not_owed        sent although the registry does not list the kind
--   as_of_date      var submission_as_of ('YYYY-MM-DD'), default the build date
--   refused_files   files of the slot that ingest refused (a missing slot with refusals
--                   means the department tried: its receipt says what to fix)
{%- set due_day = var('submission_due_day', 5) | int %}
{%- set as_of = var('submission_as_of', none) %}
{%- set first = var('submission_tracking_start', none) %}
{%- set last = var('submission_tracking_end', none) %}

with departments as (
    select department_code, city, department_name, owes
    from {{ ref('stg_departments') }}
),

kinds as (
    select 'investment' as kind
    union all
    select 'volunteer'
    union all
    select 'issue'
),

submissions as (
    select * from {{ ref('int_submissions_ranked') }}
),

bounds as (
    select
        {% if first %}cast('{{ first }}-01' as date){% else %}min(period_month){% endif %} as first_month,
        {% if last %}cast('{{ last }}-01' as date){% else %}max(period_month){% endif %} as last_month
    from submissions
),

months as (
    select distinct dim_date.month_start as period_month
    from {{ ref('dim_date') }} as dim_date
    cross join bounds
    where dim_date.month_start between bounds.first_month and bounds.last_month
),

owed as (
    select
        departments.city,
        departments.department_code,
        kinds.kind,
        months.period_month
    from departments
    cross join kinds
    cross join months
    where '|' || departments.owes || '|' like '%|' || kinds.kind || '|%'
),

received as (
    select
        city,
        department_code,
        kind,
        period_month,
        count(*) as submissions_received,
        min(coalesce(submitted_at, loaded_at)) as first_received_at,
        max(coalesce(submitted_at, loaded_at)) as latest_received_at,
        max(case when is_current then submission_id end) as current_submission_id,
        bool_or(is_held and submission_rank = 1) as latest_held,
        max(case when is_held and submission_rank = 1 then held_reason end) as held_reason,
        max(case when is_held and submission_rank = 1 then held_reason_zh end) as held_reason_zh
    from submissions
    where period_month in (select period_month from months)
    group by city, department_code, kind, period_month
),

-- Files of the slot that ingest refused (the file ledger).
refused as (
    select
        city,
        department_code,
        kind,
        cast(period_month as date) as period_month,
        count(*) as refused_files
    from {{ ref('stg_file_receipts') }}
    where status = 'refused'
        and city is not null
        and department_code is not null
        and kind is not null
        and period_month is not null
    group by city, department_code, kind, cast(period_month as date)
),

slots as (
    select
        coalesce(owed.city, received.city) as city,
        coalesce(owed.department_code, received.department_code) as department_code,
        coalesce(owed.kind, received.kind) as kind,
        coalesce(owed.period_month, received.period_month) as period_month,
        owed.department_code is not null as is_owed,
        coalesce(received.submissions_received, 0) as submissions_received,
        received.first_received_at,
        received.latest_received_at,
        received.current_submission_id,
        coalesce(received.latest_held, false) as latest_held,
        received.held_reason,
        received.held_reason_zh
    from owed
    full outer join received
        on owed.city = received.city
        and owed.department_code = received.department_code
        and owed.kind = received.kind
        and owed.period_month = received.period_month
),

dated as (
    select
        slots.*,
        cast(cast(slots.period_month + interval '1 month' as date)
            + interval '{{ due_day - 1 }} day' as date) as due_date,
        {% if as_of %}cast('{{ as_of }}' as date){% else %}current_date{% endif %} as as_of_date
    from slots
),

classified as (
    select
        dated.*,
        case
            when latest_held then 'held_back'
            when not is_owed then 'not_owed'
            when first_received_at is null and as_of_date <= due_date then 'pending'
            when first_received_at is null then 'missing'
            when cast(first_received_at as date) > due_date then 'late'
            else 'on_time'
        end as status
    from dated
)

select
    cast(classified.city as varchar)                      as city,
    cast(classified.department_code as varchar)           as department_code,
    cast(departments.department_name as varchar)          as department_name,
    cast(classified.kind as varchar)                      as kind,
    cast(classified.period_month as date)                 as period_month,
    cast({{ month_label('classified.period_month') }} as varchar) as month_label,
    cast({{ quarter_label('classified.period_month') }} as varchar) as quarter_label,
    cast(classified.due_date as date)                     as due_date,
    cast(classified.is_owed as boolean)                   as is_owed,
    cast(classified.status as varchar)                    as status,
    cast(classified.status = 'missing' as boolean)        as is_missing,
    cast(classified.status = 'late' as boolean)          as is_late,
    cast(case
        when classified.status = 'late'
            then {{ days_between('classified.due_date', 'cast(classified.first_received_at as date)') }}
        when classified.status = 'missing'
            then {{ days_between('classified.due_date', 'classified.as_of_date') }}
    end as integer)                                       as days_past_due,
    cast(classified.submissions_received as integer)      as submissions_received,
    cast(classified.first_received_at as timestamp)       as first_received_at,
    cast(classified.latest_received_at as timestamp)      as latest_received_at,
    cast(classified.current_submission_id as varchar)     as current_submission_id,
    cast(classified.held_reason as varchar)               as held_reason,
    cast(classified.held_reason_zh as varchar)            as held_reason_zh,
    cast(coalesce(refused.refused_files, 0) as integer)   as refused_files,
    cast(classified.as_of_date as date)                   as as_of_date
from classified
left join departments
    on classified.department_code = departments.department_code
left join refused
    on classified.city = refused.city
    and classified.department_code = refused.department_code
    and classified.kind = refused.kind
    and classified.period_month = refused.period_month
