-- 数据质量结果: every validation outcome as data, so that BI can chart quality by
-- department over time. One row per expectation per validation (key result_id):
--   gate submission, suite ingest_<kind>   ingest's own rules on one file (from the ledger
--       and quarantine): file_accepted (file-level rules), rows_valid (row rules),
--       rows_without_warnings (warn-level rules, rows still load);
--   gate submission, suite submission_<kind>  the GX suite on one file's typed rows;
--   gate mart                                 the GX audit of one warehouse run's candidate
--       (warehouse-wide: no city or department; the sample names the offending rows).
-- GX outcomes come from the quality store (stg_quality_results), which keeps the results
-- of runs whose audit failed: they appear here from the next successful publish on.
-- Rows quarantined by the GX gate carry gx_ reason codes and are counted by their GX
-- expectation, not again in rows_valid.
with gx_results as (
    select
        result_id, run_id, target, gate, suite, expectation, column_name, city, department_code,
        kind, period_month, submission_id, source_file, element_count, unexpected_count, success,
        action, reason_code, sample, checked_at
    from {{ ref('stg_quality_results') }}
),

ledger as (
    select
        receipt_id, run_id, source_file, status, reason_code, city, department_code, kind,
        period_month, rows_in, coalesce(rows_warned, 0) as rows_warned, received_at,
        nullif(substr(content_sha256, 1, 16), '') as content_id,
        status = 'refused' and coalesce(substr(reason_code, 1, 3), '') <> 'gx_' as refused_by_ingest
    from {{ ref('stg_file_receipts') }}
    where status in ('accepted', 'refused')
),

quarantined as (
    select substr(submission_id, 1, 16) as content_id, reason_code, count(*) as row_count
    from {{ ref('stg_quarantined_rows') }}
    where substr(reason_code, 1, 3) <> 'gx_'
    group by substr(submission_id, 1, 16), reason_code
),

quarantined_by_file as (
    select
        content_id,
        sum(row_count) as row_count,
        string_agg(reason_code || ':' || cast(row_count as varchar), ', ' order by reason_code) as reasons
    from quarantined
    group by content_id
),

ingest_results as (
    select
        md5(receipt_id || '|file_accepted') as result_id,
        run_id, cast(null as varchar) as target, 'submission' as gate,
        'ingest_' || coalesce(kind, 'unknown') as suite, 'file_accepted' as expectation,
        cast(null as varchar) as column_name, city, department_code, kind, period_month,
        content_id as submission_id, source_file,
        rows_in as element_count,
        case when refused_by_ingest then rows_in else 0 end as unexpected_count,
        not refused_by_ingest as success,
        case when refused_by_ingest then 'refused' else 'none' end as action,
        case when refused_by_ingest then reason_code end as reason_code,
        cast(null as varchar) as sample, received_at as checked_at
    from ledger

    union all

    select
        md5(ledger.receipt_id || '|rows_valid'),
        ledger.run_id, null, 'submission', 'ingest_' || ledger.kind, 'rows_valid', null,
        ledger.city, ledger.department_code, ledger.kind, ledger.period_month, ledger.content_id,
        ledger.source_file, ledger.rows_in, coalesce(q.row_count, 0), coalesce(q.row_count, 0) = 0,
        case when coalesce(q.row_count, 0) > 0 then 'quarantined' else 'none' end,
        null, q.reasons, ledger.received_at
    from ledger
    left join quarantined_by_file as q on q.content_id = ledger.content_id
    where ledger.status = 'accepted'

    union all

    select
        md5(receipt_id || '|rows_without_warnings'),
        run_id, null, 'submission', 'ingest_' || kind, 'rows_without_warnings', null,
        city, department_code, kind, period_month, content_id, source_file, rows_in, rows_warned,
        rows_warned = 0, case when rows_warned > 0 then 'warned' else 'none' end, null, null,
        received_at
    from ledger
    where status = 'accepted'
),

unioned as (
    select * from gx_results
    union all
    select * from ingest_results
)

select
    cast(result_id as varchar)          as result_id,
    cast(run_id as varchar)             as run_id,
    cast(target as varchar)             as target,
    cast(gate as varchar)               as gate,
    cast(suite as varchar)              as suite,
    cast(expectation as varchar)        as expectation,
    cast(column_name as varchar)        as column_name,
    cast(city as varchar)               as city,
    cast(department_code as varchar)    as department_code,
    cast(kind as varchar)               as kind,
    cast(period_month as date)          as period_month,
    cast(submission_id as varchar)      as submission_id,
    cast(source_file as varchar)        as source_file,
    cast(element_count as bigint)       as element_count,
    cast(unexpected_count as bigint)    as unexpected_count,
    cast(success as boolean)            as success,
    cast(action as varchar)             as action,
    cast(reason_code as varchar)        as reason_code,
    cast(sample as varchar)             as sample,
    cast(checked_at as timestamp)       as checked_at
from unioned
