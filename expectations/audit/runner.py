"""Run the mart suites against a DuckDB warehouse (the candidate) and gate on the result.

Tables are read READ-ONLY with the duckdb Python API into pandas, then validated
in one ephemeral GX context per audit. GX is imported lazily (it is slow to import).
Every audit leaves a certificate beside the file (expectations.audit.certificate): publish
accepts only a file whose current bytes passed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before any GX import

from ..gx import column_of, exception_message, new_context
from ..offline_docs import make_offline
from ..store import ExpectationRecord
from . import certificate, scope as scoping
from .scope import Scope
from .blame import named_rows
from .specs import HELD_VIEW, NO_HELD_VIEW, CITY_NAMES_SQL, DATE_RANGE_SQL, DEPARTMENT_CODES_SQL, SUITES
from .vocabulary import CITY_NAMES_PARAM, DATE_MAX_PARAM, DATE_MIN_PARAM, DEPARTMENT_CODES_PARAM

logger = logging.getLogger(__name__)

SAMPLE_SIZE = 5  # unexpected rows kept per expectation in the report
DOCS_SITE = "audit_docs"


@dataclass
class AuditReport:
    gate: str
    run_id: str
    db_path: str
    checked_at: datetime
    records: list[ExpectationRecord]
    seconds: float
    # index of a failed record -> {submission id: its unexpected rows} (expectations.audit.blame)
    traced: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    context: Any = field(default=None, repr=False, compare=False)  # GX context, for Data Docs
    # what a later incremental audit may build on (expectations.audit.scope), and whether this one was scoped
    scope: Scope | None = None
    scoped_since: datetime | None = None

    @property
    def success(self) -> bool:
        return all(r.success for r in self.records)

    @property
    def failures(self) -> list[ExpectationRecord]:
        return [r for r in self.records if not r.success]

    def to_records(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.records]


class AuditFailed(Exception):
    """The quality gate failed; the message names every failed expectation."""

    def __init__(self, report: AuditReport) -> None:
        self.report = report
        self.failures = report.failures
        super().__init__(_failure_message(report))


def _failure_message(report: AuditReport) -> str:
    lines = [
        f"{report.gate} gate failed for {report.db_path} (run_id={report.run_id}): "
        f"{len(report.failures)} of {len(report.records)} expectations failed"
    ]
    lines += [f"  - {_failure_line(r)}" for r in report.failures]
    return "\n".join(lines)


def _failure_line(r: ExpectationRecord) -> str:
    """suite: expectation(column): n of m unexpected; e.g. <rows>; error: <exception>"""
    what = f"{r.suite}: {r.expectation}({r.column or ''})"
    if r.unexpected_count is not None:
        what += f": {r.unexpected_count} of {r.element_count} unexpected"
    if r.sample:
        what += f"; e.g. {r.sample}"
    if r.error:
        what += f"; error: {r.error}"
    return what


def raise_on_failure(report: AuditReport) -> AuditReport:
    """Raise AuditFailed unless every expectation passed; return the report otherwise."""
    if not report.success:
        raise AuditFailed(report)
    return report


def audit_warehouse(db_path: str | Path, run_id: str, *, gate: str = "mart",
                    raw_db: str | Path | None = None, certify: bool = True,
                    scope: Scope | None = None) -> AuditReport:
    """Validate every suite in expectations.audit.suites against the DuckDB file at db_path.

    raw_db: ingest's raw.duckdb, attached read-only as `raw` for the reconciliation and
    lineage suites (skipped without it). certify: leave <db>.audit.json saying whether these
    exact bytes passed (publish requires it). scope: the report.scope of the audit that passed
    on the build this one grew from; the suites over the fact's rows then judge only the rows
    new since (expectations.audit.scope), when the audit's key is still the same."""
    started = time.perf_counter()
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"warehouse not found: {path}")
    checked_at = datetime.now(timezone.utc)
    records: list[ExpectationRecord] = []
    traced: dict[int, dict[str, list[dict[str, Any]]]] = {}

    def unreadable(suite: str, exc: Exception) -> ExpectationRecord:
        return ExpectationRecord(gate, suite, "table_readable", None, False, None, None,
                                 run_id, checked_at, error=str(exc).splitlines()[0],
                                 action="blocked_publish")

    import duckdb

    specs = [s for s in SUITES if raw_db is not None or not s.needs_raw]
    if len(specs) < len(SUITES):
        logger.info("no raw database given: skipping %s",
                    ", ".join(s.name for s in SUITES if s not in specs))
    frames = {}
    with duckdb.connect(str(path), read_only=True) as con:
        if raw_db is not None:
            con.execute(f"attach '{_sql_text(raw_db)}' as raw (read_only)")
            con.execute(HELD_VIEW if _has_held(con) else NO_HELD_VIEW)
        params, failed = _parameters(con)
        records += [unreadable(name, exc) for name, exc in failed]
        key, until = scoping.audit_key(params), scoping.built_until(con)
        after = scoping.since(scope, key)
        if after is not None:
            logger.info("audit %s: the fact's rows built after %s only (%d), with their records and days",
                        run_id, after, scoping.create_views(con, after))
        for spec in specs:
            try:
                frames[spec.name] = con.sql(scoping.scoped(spec.name, spec.sql) if after else spec.sql).df()
            except duckdb.Error as exc:
                records.append(unreadable(spec.name, exc))

    context = new_context()
    datasource = context.data_sources.add_pandas(name="marts")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    gx_run_id = RunIdentifier(run_name=run_id, run_time=checked_at)
    for spec in specs:
        if spec.name not in frames:
            continue
        df = frames[spec.name]
        batch = datasource.add_dataframe_asset(name=spec.name).add_batch_definition_whole_dataframe(
            "whole dataframe"
        )
        suite = context.suites.add(spec.build())
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
        )
        result = validation.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=params,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [c for c in spec.row_id if c in df.columns],
            },
            run_id=gx_run_id,
        )
        order = {e.id: i for i, e in enumerate(suite.expectations)}
        for r in sorted(result.results, key=lambda r: order.get(r.expectation_config.id, 0)):
            records.append(_record(gate, spec.name, r, run_id, checked_at))
            if not r.success and spec.blame and (named := named_rows(r.result or {}, spec.blame)):
                traced[len(records) - 1] = {sid: [{k: _jsonable(v) for k, v in row.items()} for row in rows]
                                            for sid, rows in named.items()}
        logger.info("%s: %d rows, %s", spec.name, len(df), "ok" if result.success else "FAILED")

    report = AuditReport(gate, run_id, str(path), checked_at, records, time.perf_counter() - started, traced,
                         context, Scope(key, until) if until is not None else None, after)
    logger.info("%s audit %s: %d/%d expectations passed in %.2fs", gate, run_id,
                len(records) - len(report.failures), len(records), report.seconds)
    if certify:
        certificate.write(path, run_id, "passed" if report.success else "failed",
                          [_failure_line(r) for r in report.failures])
    return report


def _has_held(con: Any) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = 'raw' "
                            "and table_name = 'held_submissions'").fetchone()[0])


def _sql_text(value: str | Path) -> str:
    return str(value).replace("'", "''")


def _parameters(con: Any) -> tuple[dict[str, Any], list[tuple[str, Exception]]]:
    """Suite parameters from the registry dims and the calendar; unreadable sources are failures."""
    import duckdb

    params: dict[str, Any] = {DEPARTMENT_CODES_PARAM: [], CITY_NAMES_PARAM: [],
                              DATE_MIN_PARAM: None, DATE_MAX_PARAM: None}
    failed: list[tuple[str, Exception]] = []
    for name, sql, key in (("dim_department", DEPARTMENT_CODES_SQL, DEPARTMENT_CODES_PARAM),
                           ("dim_city", CITY_NAMES_SQL, CITY_NAMES_PARAM)):
        try:
            params[key] = sorted(v for (v,) in con.sql(sql).fetchall() if v)
        except duckdb.Error as exc:
            failed.append((name, exc))
    try:
        [(low, high)] = con.sql(DATE_RANGE_SQL).fetchall()
        params[DATE_MIN_PARAM], params[DATE_MAX_PARAM] = (
            datetime.combine(d, datetime.min.time()) if d else None for d in (low, high))
    except duckdb.Error as exc:
        failed.append(("dim_date", exc))
    return params, failed


def build_data_docs(report: AuditReport, out_dir: str | Path) -> Path:
    """Render GX Data Docs for the audit's results into out_dir; return index.html."""
    if report.context is None:
        raise ValueError("report carries no GX context (was it built by audit_warehouse?)")
    out = Path(out_dir).resolve()
    site = {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    ctx = report.context
    if DOCS_SITE in ctx.list_data_docs_sites():
        ctx.update_data_docs_site(DOCS_SITE, site)
    else:
        ctx.add_data_docs_site(DOCS_SITE, site)
    ctx.build_data_docs(site_names=[DOCS_SITE])
    make_offline(out)  # CDN scripts, styles and logo served from the site itself
    return out / "index.html"


def _record(gate: str, suite: str, r: Any, run_id: str, checked_at: datetime) -> ExpectationRecord:
    kwargs = r.expectation_config.kwargs
    res = r.result or {}
    column = column_of(kwargs)
    return ExpectationRecord(
        gate=gate,
        suite=suite,
        expectation=r.expectation_config.type,
        column=column,
        success=bool(r.success),
        unexpected_count=res.get("unexpected_count"),
        element_count=res.get("element_count"),
        run_id=run_id,
        checked_at=checked_at,
        sample=None if r.success else _sample(res),
        error=exception_message(r.exception_info),
        action="none" if r.success else "blocked_publish",
    )


def _sample(res: dict[str, Any]) -> str | None:
    """First unexpected rows (with their row_id columns), values, or missing columns."""
    rows = res.get("unexpected_index_list") or res.get("partial_unexpected_list")
    if not rows:
        rows = res.get("details", {}).get("mismatched")
    if not rows:
        return None
    if isinstance(rows, list):
        rows = rows[:SAMPLE_SIZE]
    return json.dumps(rows, ensure_ascii=False, default=_jsonable)


def _jsonable(value: Any) -> Any:
    """numpy scalars -> Python, NaT/NaN -> null, midnight timestamps -> ISO dates."""
    if hasattr(value, "item"):
        value = value.item()
    if value != value:
        return None
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return value if isinstance(value, (int, float, str, bool)) else str(value)
