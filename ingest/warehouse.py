"""Build the marts with dbt into a candidate copy, then publish it atomically (write-audit-publish).

Readers only ever open the published file; a failed build or audit leaves it untouched.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ingest.config import REPO_ROOT, Paths
from ingest.errors import IngestError

log = logging.getLogger(__name__)
DBT_DIR = REPO_ROOT / "dbt_project"


class BuildFailed(IngestError):
    """dbt build failed: models or tests; the published warehouse is unchanged."""


def prepare_candidate(paths: Paths, full_refresh: bool = False) -> Path:
    """Start the candidate from the published file (so incremental models stay incremental)."""
    candidate = paths.candidate_db
    if candidate.parent.exists():
        shutil.rmtree(candidate.parent)
    candidate.parent.mkdir(parents=True)
    if paths.published_db.exists() and not full_refresh:
        shutil.copy2(paths.published_db, candidate)
    return candidate


def dbt_build(paths: Paths, target: str = "duckdb", full_refresh: bool = False,
              select: list[str] | None = None) -> None:
    """One `dbt build` (models, tests, unit tests) in its own process, its output in our log.
    A separate process releases every DuckDB handle when it ends, before the audit opens the file."""
    env = {**os.environ, "CAMPAIGN_RAW_DB": str(paths.raw_db), "CAMPAIGN_DBT_DUCKDB_PATH": str(paths.candidate_db),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    args = [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", str(DBT_DIR),
            "--profiles-dir", str(DBT_DIR), "--target", target,
            "--target-path", str(paths.home / "dbt" / "target"), "--log-path", str(paths.home / "dbt" / "logs")]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", *select]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    failures = []
    for line in proc.stdout or []:
        log.info("dbt | %s", line.rstrip())
        if line.lstrip()[9:].startswith(("Failure in", "Database Error", "Compilation Error", "Runtime Error")):
            failures.append(line.strip()[9:])
    if proc.wait() != 0:
        raise BuildFailed("dbt build failed: " + ("; ".join(failures) or f"exit code {proc.returncode}"))


def publish(paths: Paths) -> Path:
    """Atomically replace the published file with the audited candidate."""
    import duckdb

    candidate = paths.candidate_db
    with duckdb.connect(str(candidate)) as con:  # fold any WAL into the file before the swap
        con.execute("checkpoint")
    os.replace(candidate, paths.published_db)
    fd = os.open(paths.published_db.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("published %s", paths.published_db)
    return paths.published_db
