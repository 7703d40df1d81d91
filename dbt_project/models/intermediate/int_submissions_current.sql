-- The current submissions: rank 1 of int_submissions_ranked, one per (city, submitting
-- department, kind, reporting month). Only their rows feed the facts: a model takes the
-- current rows of a kind by joining its staging rows to this on submission_id.
select
    submission_id,
    kind,
    city,
    department_code,
    period_month,
    loaded_at
from {{ ref('int_submissions_ranked') }}
where is_current
