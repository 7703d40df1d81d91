"""Write-audit-publish of the DuckDB warehouse: build the marts into a candidate copy, audit it,
publish it with one atomic rename.

- build: the candidate starts as a byte copy of the build file (warehouse/build/, the last
  published build whole, operators only: incremental models stay incremental); one `dbt build`
  (warehouse.dbt: in this process, no DuckDB handle left after it) writes it. Readers never open it.
- audit: the GX mart suites (expectations/) on the candidate, reconciled with raw (the fact's
  rows: only those new since the audit that passed on the build file, expectations.audit.scope);
  outcomes to the quality store, Data Docs to $CAMPAIGN_HOME/quality/data_docs/<run>/; a
  passing candidate gets this run's results in marts.mart_data_quality (add_audit_to_quality_mart)
  and a certificate of its bytes.
- publish: only a candidate whose current bytes passed the audit. Its marts (and BI views) are
  copied into a new file (warehouse.duck_export: analysts get nothing else), which replaces
  the published file (fsync, os.replace, fsync of the directory); the candidate then becomes the
  build file. A reader holding the old file open keeps reading the old file (the rename does
  not touch it) and a reader that opens the path gets the old or the new file, whole.

Crash safety: nothing but the rename touches the published file, so a run killed at any step
leaves it as it was; the next build wipes what the dead run left in candidate/.
The DAG calls build -> audit -> publish (see docs/quality.md); `python -m warehouse.duck`
runs all three.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.config import Paths
from warehouse import build_inputs
from warehouse.dbt import VOLUNTEER_ROWS_SINCE, BuildFailed, run_dbt
from ingest.errors import IngestError
from warehouse.duck_export import export_published

if TYPE_CHECKING:
    from expectations import AuditReport

log = logging.getLogger(__name__)
QUALITY_MART = "mart_data_quality"
_UNSAFE_RUN_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class PublishRefused(IngestError):
    """The candidate may not be published (no passing audit of its current bytes); nothing changed."""


# --------------------------------------------------------------------------- build
def prepare_candidate(paths: Paths, full_refresh: bool = False) -> Path:
    """Start the candidate from the build file (so incremental models stay incremental; without
    one, the build is a full one). Whatever an earlier, killed run left in candidate/ (a
    half-built file, its WAL, a certificate) is removed first. Also makes sure raw.duckdb has
    the quality store dbt reads."""
    candidate = paths.candidate_db
    for stale_wal in (_wal(paths.published_db), _wal(paths.state_db)):
        if stale_wal.exists():
            raise BuildFailed(f"{stale_wal} exists: someone opened a warehouse file read-write; "
                              "open it read-only (duckdb -readonly), remove the .wal after checking it, and rerun")
    if candidate.parent.exists():
        shutil.rmtree(candidate.parent)
    candidate.parent.mkdir(parents=True)
    if paths.state_db.exists() and not full_refresh:
        shutil.copy2(paths.state_db, candidate)  # nobody but the pipeline opens it
    ensure_quality_store(paths)
    return candidate


def ensure_quality_store(paths: Paths) -> None:
    """The quality store table exists in raw.duckdb (dbt reads it for mart_data_quality)."""
    from expectations import store
    from ingest.raw import load

    con = load.connect(paths.raw_db)
    try:
        store.ensure(con)
    finally:
        con.close()


def dbt_build(paths: Paths, target: str = "duckdb", full_refresh: bool = False,
              select: list[str] | None = None) -> None:
    """One `dbt build` (models, tests, unit tests) into the DuckDB candidate. An incremental build
    tells dbt where the candidate's volunteer rows end (VOLUNTEER_ROWS_SINCE: the data tests of
    stg_volunteers check only the rows it adds, dbt_project/macros/new_rows_only.sql) and which
    kinds of submission changed since the build copied (warehouse.build_inputs: only the nodes
    they reach run)."""
    env, target_path, log_path = dbt_setup(paths)
    since = None if full_refresh else build_inputs.staged_volunteer_rows_since(paths.candidate_db)
    if since:
        env[VOLUNTEER_ROWS_SINCE] = since
    now = build_inputs.current(paths.raw_db, target)    # before dbt reads raw
    kinds = None if full_refresh or select else build_inputs.changed_kinds(paths.candidate_db, now)
    run_dbt(target, env, target_path, log_path, full_refresh=full_refresh, select=select, kinds=kinds)
    build_inputs.record(paths.candidate_db, None if select else now)


def dbt_parse(paths: Paths) -> bool:
    """`dbt parse` with the build's settings, ahead of the first build on a home: its saved parse
    (partial_parse.msgpack) is put where the build looks for it, so the build only checks it
    instead of parsing the whole project (5-7 s). It reads the project, never a database, and
    works in a folder of its own; the file is renamed into place whole, and only while the build
    has none, so a build that starts first simply parses on its own (dbt checks any saved parse
    against the project, settings and dbt version before using it). True if it was put in place."""
    env, target, _ = dbt_setup(paths)
    saved, work = target / "partial_parse.msgpack", paths.home / "dbt" / "parse"
    if saved.exists():
        return False
    run_dbt("duckdb", env, work / "target", work / "logs", command="parse", label="dbt parse")
    if saved.exists():
        return False
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{saved.name}.{os.getpid()}.tmp"
    shutil.copyfile(work / "target" / saved.name, tmp)
    os.replace(tmp, saved)
    shutil.rmtree(work, ignore_errors=True)
    log.info("dbt parse saved for the build: %s", saved)
    return True


def dbt_setup(paths: Paths) -> tuple[dict[str, str], Path, Path]:
    """The build's dbt environment, target path and log path."""
    return ({"CAMPAIGN_RAW_DB": str(paths.raw_db), "CAMPAIGN_DBT_DUCKDB_PATH": str(paths.candidate_db)},
            paths.home / "dbt" / "target", paths.home / "dbt" / "logs")


def build(paths: Paths, full_refresh: bool = False) -> Path:
    """DAG step `build`: candidate, quality store, dbt build. The candidate is marked as awaiting
    its audit: publish refuses it until an audit passes."""
    from expectations.audit import certificate

    candidate = prepare_candidate(paths, full_refresh=full_refresh)
    dbt_build(paths, full_refresh=full_refresh)
    certificate.write(candidate, "", certificate.PENDING, ["built, not audited yet"])
    return candidate


# --------------------------------------------------------------------------- audit
def docs_dir(paths: Paths, run_id: str) -> Path:
    return paths.home / "quality" / "data_docs" / (_UNSAFE_RUN_CHARS.sub("_", run_id).strip("_") or "run")


def audit(paths: Paths, run_id: str) -> AuditReport:
    """DAG step `audit` (needs the duckdb_writer pool: it reads raw.duckdb and writes the quality
    store). Raises AuditFailed, naming every failed expectation, unless the candidate passes."""
    from expectations import AuditFailed, audit_warehouse, build_data_docs, store
    from expectations.audit import certificate, scope
    from ingest.raw import load

    candidate = paths.candidate_db
    _checkpoint(candidate)
    report = audit_warehouse(candidate, run_id, raw_db=paths.raw_db, scope=scope.read(scope.beside(paths.state_db)))
    docs = build_data_docs(report, docs_dir(paths, run_id))
    prune_docs(docs.parent.parent)
    con = load.connect(paths.raw_db)
    try:
        store.record_audit(con, report.records, target="duckdb")
    finally:
        con.close()
    _write_latest(paths, report, docs)
    if not report.success:
        error = AuditFailed(report)
        log.error("%s\nThe published warehouse is unchanged. Data Docs: %s", error, docs)
        raise error
    certificate.write(candidate, run_id, certificate.PENDING, ["quality mart being refreshed"])
    add_audit_to_quality_mart(paths, run_id)
    _checkpoint(candidate)
    certificate.write(candidate, run_id, "passed")
    scope.keep(scope.beside(candidate), report.scope)    # what the next build's audit may build on
    log.info("audit %s passed: %d expectations; Data Docs: %s", run_id, len(report.records), docs)
    return report


def add_audit_to_quality_mart(paths: Paths, run_id: str) -> int:
    """This run's mart-gate results, just stored in raw.quality_results, into the candidate's
    marts.mart_data_quality, in one transaction. The model's gate-mart rows are the store's rows
    as they are (its gx_results: the same columns, no transformation), and the build that made
    the candidate already took every earlier result, so appending gives what a rebuild of the
    model would (tests/expectations/test_quality_mart.py checks it) without a second dbt process. An earlier
    audit of the same run (a retry) is replaced. A mart column the store lacks fails loudly."""
    import duckdb

    raw = str(paths.raw_db).replace("'", "''")
    with duckdb.connect(str(paths.candidate_db)) as con:
        columns = ", ".join(f'"{c}"' for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?"
            " order by ordinal_position", [QUALITY_MART]).fetchall())
        if not columns:
            raise BuildFailed(f"the candidate has no marts.{QUALITY_MART}: nothing to record the audit in")
        con.execute(f"attach '{raw}' as raw (read_only)")
        con.execute("begin transaction")
        where = "gate = 'mart' and target = 'duckdb' and run_id = ?"
        con.execute(f"delete from marts.{QUALITY_MART} where {where}", [run_id])
        added = con.execute(f"insert into marts.{QUALITY_MART} ({columns}) select {columns} "
                            f"from raw.main.quality_results where {where}", [run_id]).fetchone()[0]
        con.execute("commit")
    log.info("audit %s: %d results added to marts.%s", run_id, added, QUALITY_MART)
    return added


def prune_docs(root: Path) -> None:
    """Keep the Data Docs of the last CAMPAIGN_DATA_DOCS_KEEP runs (default 30; ~5 MB each)."""
    keep = int(os.environ.get("CAMPAIGN_DATA_DOCS_KEEP", "30"))
    runs = sorted((d for d in root.iterdir() if (d / "index.html").is_file()), key=lambda d: d.stat().st_mtime,
                  reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _checkpoint(db: Path) -> None:
    """Fold a leftover write-ahead log into the file, so its bytes are all of its state."""
    if _wal(db).exists():
        import duckdb

        with duckdb.connect(str(db)) as con:
            con.execute("checkpoint")


def _write_latest(paths: Paths, report: AuditReport, docs: Path) -> None:
    """quality/latest_audit.json: what the run summary shows about the last audit."""
    doc = {"run_id": report.run_id, "success": report.success, "checked_at": report.checked_at.isoformat(),
           "expectations": len(report.records), "failed": [f"{r.suite}: {r.expectation}({r.column or ''})"
                                                            for r in report.failures],
           "data_docs": str(docs)}
    target = paths.home / "quality" / "latest_audit.json"
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a killed run
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, target)


# --------------------------------------------------------------------------- publish
def publish(paths: Paths) -> Path:
    """DAG step `publish`: atomically replace the published file with the audited candidate.
    A candidate that carries a certificate (every candidate of `build`, every file an audit has
    seen) is published only if the certificate says its current bytes passed."""
    from expectations.audit import certificate, scope

    candidate = paths.candidate_db
    if not candidate.exists():
        raise PublishRefused(f"no candidate to publish at {candidate}")
    if certificate.read(candidate) is None:
        log.warning("publishing %s, which no audit has seen (built without warehouse.duck.build)", candidate)
        _checkpoint(candidate)
    else:
        try:
            certificate.verify(candidate)
        except certificate.NotCertified as exc:
            raise PublishRefused(f"not publishing: {exc}") from exc
    export = candidate.parent / "published" / paths.published_db.name
    export_published(candidate, export)
    _fsync(export)
    os.replace(export, paths.published_db)
    _fsync(paths.published_db.parent)
    # then the build it came from becomes the next build's start (a crash before this rename
    # leaves the older build file: the next build adds the same rows to it again)
    paths.state_db.parent.mkdir(parents=True, exist_ok=True)
    _fsync(candidate)
    os.replace(candidate, paths.state_db)
    scope.move(scope.beside(candidate), scope.beside(paths.state_db))   # a crash before: the older, wider scope
    _fsync(paths.state_db.parent)
    certificate.path_for(candidate).unlink(missing_ok=True)
    log.info("published %s (marts only); build kept in %s", paths.published_db, paths.state_db)
    return paths.published_db


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def run(paths: Paths, run_id: str | None = None, full_refresh: bool = False) -> Path:
    """build -> audit (holding back submissions the audit traces failures to) -> publish, as the
    warehouse DAG runs them."""
    from ingest.raw import state as raw_state
    from ingest.raw.holds import duckdb_writes
    from warehouse.holdback import RawAccess, audit_or_hold

    run_id = run_id or "cli__" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    state = raw_state.fingerprint(paths.raw_db)
    build(paths, full_refresh=full_refresh)
    raw_state.mark_built(paths, state)
    raw = RawAccess(lambda: duckdb_writes(paths.raw_db), lambda: raw_state.fingerprint(paths.raw_db))
    audit_or_hold(paths, raw, run_id, lambda: build(paths, full_refresh=full_refresh), lambda rid: audit(paths, rid))
    published = publish(paths)
    raw_state.mark_published(paths)
    return published


def main(argv: list[str] | None = None) -> int:
    """python -m warehouse.duck [--home H] [--run-id ID] [--full-refresh | --parse-only]"""
    from expectations import AuditFailed
    from ingest import config

    ap = argparse.ArgumentParser(prog="python -m warehouse.duck", description=main.__doc__)
    ap.add_argument("--home", help="CAMPAIGN_HOME (default: $CAMPAIGN_HOME or ./data)")
    ap.add_argument("--run-id")
    ap.add_argument("--full-refresh", action="store_true")
    ap.add_argument("--parse-only", action="store_true",
                    help="only parse the dbt project for the next build (dbt_parse); nothing is built")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    if args.parse_only:
        try:
            dbt_parse(config.paths(args.home))
        except BuildFailed as exc:
            print(f"dbt parse failed (the build will parse again): {exc}", file=sys.stderr)
            return 1
        return 0
    from ingest.lock import HomeBusy, WarehouseUnwritable, home_lock
    paths = config.paths(args.home)
    try:
        with home_lock(paths, "python -m ingest.warehouse"):
            published = run(paths, args.run_id, args.full_refresh)
    except (HomeBusy, WarehouseUnwritable) as exc:
        print(f"warehouse run not started: {exc}", file=sys.stderr)
        return 2
    except (AuditFailed, BuildFailed, PublishRefused) as exc:
        print(f"warehouse run failed, published warehouse unchanged: {exc}", file=sys.stderr)
        return 1
    print(f"published {published}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
