-- Warn when dbt's derived currency (latest loaded_at, tie -> submission_id) and
-- ingest's submissions.superseded_by disagree. dbt's derivation is what the facts
-- use; a disagreement points at ingest bookkeeping worth a look.
{{ config(severity='warn') }}

select submission_id, is_current, ingest_superseded_by
from {{ ref('int_submissions_ranked') }}
where (is_current and ingest_superseded_by is not null)
   or (not is_current and ingest_superseded_by is null)
