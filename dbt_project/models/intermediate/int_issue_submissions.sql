-- Every accepted issue submission, ranked in its group (int_submissions_ranked). The root of
-- the issue branch (meta submission_kind): every model downstream reads the submissions of
-- this kind only, so a build without new, superseded or held issue submissions leaves the
-- whole branch as the last build left it (warehouse.dbt_select). A model takes the current
-- rows of the kind by joining to this where is_current.
select *
from {{ ref('int_submissions_ranked') }}
where kind = 'issue'
