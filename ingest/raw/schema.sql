-- Raw layer of the ingest database ($CAMPAIGN_HOME/warehouse/raw.duckdb).
-- Values are already typed and normalised by ingest; personal data is hashed/masked.
-- Every data row carries lineage: submission_id, source_file, sheet, row_number, loaded_at.

create table if not exists file_ledger (          -- one row per file seen, accepted or not
    receipt_id        varchar primary key,        -- uuid of this receipt
    run_id            varchar not null,           -- ingest run (Airflow run id or CLI run)
    source_file       varchar not null,           -- path relative to landing/
    archived_path     varchar,                    -- path relative to $CAMPAIGN_HOME
    content_sha256    varchar not null,
    status            varchar not null,           -- accepted | refused | duplicate
    reason_code       varchar,                    -- for refused / duplicate
    message           varchar,                    -- Chinese, for the clerk
    submission_id     varchar,                    -- accepted or duplicate-of
    city              varchar,
    department_code   varchar,
    kind              varchar,
    period_month      date,
    rows_in           integer not null default 0,
    rows_loaded       integer not null default 0,
    rows_quarantined  integer not null default 0,
    received_at       timestamp not null
);

create table if not exists submissions (          -- one row per accepted submission
    submission_id     varchar primary key,        -- first 16 hex chars of sha256(content)
    city              varchar not null,
    department_code   varchar not null,           -- the submitting department
    kind              varchar not null,           -- investment | volunteer | issue
    period_month      date not null,              -- first day of the reporting month
    source_file       varchar not null,
    file_format       varchar not null,           -- xlsx | csv | json
    sheet             varchar,
    encoding          varchar,
    submitted_at      timestamp,                  -- from the JSON envelope if present
    loaded_at         timestamp not null,
    rows_in           integer not null,
    rows_loaded       integer not null,
    rows_quarantined  integer not null,
    superseded_by     varchar,                    -- newer submission for same city/department/kind/period
    superseded_at     timestamp
);

create table if not exists quarantine (
    submission_id     varchar not null,
    source_file       varchar not null,
    sheet             varchar,
    row_number        integer not null,           -- 1-based row in the file as the clerk sees it
    field             varchar,                    -- Chinese header as written
    value             varchar,                    -- masked when the field is personal data
    reason_code       varchar not null,
    message           varchar not null,           -- Chinese
    quarantined_at    timestamp not null
);

create table if not exists raw_investment (
    submission_id     varchar not null,
    source_file       varchar not null,
    sheet             varchar,
    row_number        integer not null,
    loaded_at         timestamp not null,
    city              varchar not null,
    department_code   varchar not null,           -- submitting department
    period_month      date not null,
    project_code      varchar not null,
    project_name      varchar not null,
    responsible_department_code varchar not null,
    category          varchar,
    planned_amount_yuan     decimal(18,2) not null,
    month_amount_yuan       decimal(18,2),
    cumulative_amount_yuan  decimal(18,2),
    stage             varchar not null,
    start_date        date,
    finish_date       date
);

create table if not exists raw_volunteer (
    submission_id     varchar not null,
    source_file       varchar not null,
    sheet             varchar,
    row_number        integer not null,
    loaded_at         timestamp not null,
    city              varchar not null,
    department_code   varchar not null,
    period_month      date not null,
    volunteer_key     varchar not null,           -- HMAC-SHA256(normalised ID number), hex
    masked_name       varchar not null,           -- 张*
    masked_phone      varchar,                    -- 138****5678
    team              varchar,
    activity          varchar not null,
    category          varchar,
    service_date      date not null,
    hours             decimal(6,2) not null
);

create table if not exists raw_issue (
    submission_id     varchar not null,
    source_file       varchar not null,
    sheet             varchar,
    row_number        integer not null,
    loaded_at         timestamp not null,
    city              varchar not null,
    department_code   varchar not null,           -- submitting department
    period_month      date not null,              -- the ledger is as of this month
    issue_code        varchar not null,
    found_date        date not null,
    source            varchar,
    category          varchar not null,
    point_type        varchar,
    point_name        varchar,
    district          varchar,
    street            varchar,
    responsible_department_code varchar not null,
    description       varchar,
    deadline_date     date not null,
    status            varchar not null,           -- 未整改 | 整改中 | 已整改 | 已销号
    rectified_date    date,
    review_result     varchar                     -- 通过 | 未通过 | null
);

-- Rows that loaded with a caution (warn-level rules): shown in the receipt, never blocking.
create table if not exists row_warnings (
    submission_id     varchar not null,
    source_file       varchar not null,
    sheet             varchar,
    row_number        integer not null,
    field             varchar,
    value             varchar,                    -- masked when the field is personal data
    reason_code       varchar not null,
    message           varchar not null,           -- Chinese
    warned_at         timestamp not null
);

-- Added columns (kept additive so that older raw databases upgrade in place).
alter table file_ledger add column if not exists period_label varchar;      -- 2022-05 | 2021年度
alter table file_ledger add column if not exists rows_skipped integer default 0;  -- blank/合计/footer
alter table file_ledger add column if not exists rows_warned integer default 0;
alter table submissions add column if not exists content_sha256 varchar;   -- parts of one annual file share it

-- Submissions the mart audit held back: accepted by ingest, but their rows broke a rule of the
-- built marts (a day over 24 h across departments, ...). dbt leaves them out of the facts
-- (int_submissions_ranked: not current) and the audit expects none of their rows; a resubmission
-- for the same slot supersedes a held submission like any other. Written by ingest.raw.holds.
create table if not exists held_submissions (
    submission_id     varchar primary key,
    run_id            varchar not null,           -- the warehouse run whose audit held it back
    held_at           timestamp not null,
    source_file       varchar not null,
    city              varchar not null,
    department_code   varchar not null,
    kind              varchar not null,
    period_month      date not null,
    expectations      varchar not null,           -- suite: expectation(column), '; '-separated
    reason            varchar not null,           -- English, for the operator
    reason_zh         varchar not null            -- Chinese, for the clerk
);
