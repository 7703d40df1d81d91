"""The quality store: every outcome of both gates as rows of ``quality_results`` in raw.duckdb.

The table sits beside ingest's ledger (operators' database) so that a failed run's results are
kept even though nothing is published; dbt exposes it as ``marts.mart_data_quality``. Writes
are idempotent: a submission's rows are replaced when the same content is validated again
(a rerun after a crash), a mart audit's rows when the same run is audited again (a retry).
No GX import here.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import duckdb

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpectationRecord:
    """One expectation's outcome, flat enough to store as a row."""

    gate: str
    suite: str
    expectation: str  # GX type, or "table_readable" when the query itself failed
    column: str | None  # "a,b" for compound expectations
    success: bool
    unexpected_count: int | None
    element_count: int | None
    run_id: str
    checked_at: datetime
    sample: str | None = None  # JSON: first unexpected rows/values, or missing columns
    error: str | None = None  # exception raised while evaluating
    # What the validated data was (submission gate: one file; mart gate: the whole warehouse).
    city: str | None = None
    department_code: str | None = None
    kind: str | None = None
    period_month: date | None = None
    submission_id: str | None = None
    source_file: str | None = None
    action: str = "none"  # none | quarantined | refused | blocked_publish
    reason_code: str | None = None


TABLE = "quality_results"
DDL = f"""
create table if not exists {TABLE} (       -- one row per expectation per validation
    result_id         varchar primary key,  -- md5 of what identifies the row
    run_id            varchar not null,     -- ingest run (submission gate) or warehouse run (mart gate)
    target            varchar,              -- mart gate: duckdb | postgres
    gate              varchar not null,     -- submission | mart
    suite             varchar not null,
    expectation       varchar not null,     -- GX expectation type, or table_readable
    column_name       varchar,              -- 'a,b' for pair and compound expectations
    city              varchar,
    department_code   varchar,
    kind              varchar,
    period_month      date,
    submission_id     varchar,              -- content id of the file (refused files too)
    source_file       varchar,
    element_count     bigint,
    unexpected_count  bigint,
    success           boolean not null,
    action            varchar not null,     -- none | quarantined | refused | blocked_publish
    reason_code       varchar,
    sample            varchar,              -- JSON: row numbers or row keys, never personal data
    error             varchar,
    checked_at        timestamp not null
)"""
COLUMNS = ("result_id", "run_id", "target", "gate", "suite", "expectation", "column_name", "city",
           "department_code", "kind", "period_month", "submission_id", "source_file", "element_count",
           "unexpected_count", "success", "action", "reason_code", "sample", "error", "checked_at")


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table if it is missing (read-write connection to raw.duckdb)."""
    con.execute(DDL)


def _row(r: ExpectationRecord, ordinal: int, target: str | None) -> list[Any]:
    key = "|".join(str(v) for v in (r.gate, target, r.run_id if r.gate == "mart" else "",
                                     r.submission_id, r.suite, ordinal, r.expectation, r.column))
    return [hashlib.md5(key.encode()).hexdigest(), r.run_id, target, r.gate, r.suite, r.expectation,
            r.column, r.city, r.department_code, r.kind, r.period_month, r.submission_id, r.source_file,
            r.element_count, r.unexpected_count, r.success, r.action, r.reason_code, r.sample, r.error,
            r.checked_at.replace(tzinfo=None)]


def _replace(con: duckdb.DuckDBPyConnection, where: str, params: list[Any],
             records: Iterable[ExpectationRecord], target: str | None) -> int:
    rows = [_row(r, i, target) for i, r in enumerate(records)]
    ensure(con)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {TABLE} where {where}", params)
        if rows:  # one statement (executemany runs one per row)
            one = f"({', '.join('?' * len(COLUMNS))})"
            con.execute(f"insert into {TABLE} ({', '.join(COLUMNS)}) values {', '.join([one] * len(rows))}",
                        [v for row in rows for v in row])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(rows)


def record_submission(con: duckdb.DuckDBPyConnection, submission_id: str,
                      records: list[ExpectationRecord]) -> int:
    """Store one file's submission-gate outcomes, replacing earlier ones for the same content."""
    return _replace(con, "gate = 'submission' and submission_id = ?", [submission_id], records, None)


def record_audit(con: duckdb.DuckDBPyConnection, records: list[ExpectationRecord],
                 target: str = "duckdb") -> int:
    """Store one mart audit's outcomes, replacing an earlier audit of the same run and target."""
    run_ids = sorted({r.run_id for r in records})
    if len(run_ids) > 1:
        raise ValueError(f"one audit at a time, got runs {run_ids}")
    if not run_ids:
        return 0
    n = _replace(con, "gate = 'mart' and run_id = ? and target = ?", [run_ids[0], target], records, target)
    logger.info("recorded %d mart-gate results of run %s (%s)", n, run_ids[0], target)
    return n
