"""dbt docs for the published warehouse: `dbt docs generate --static` -> site/dbt_docs/index.html.

On DuckDB, dbt opens its warehouse file read-write, so it runs on a scratch copy of the published
file (BI readers keep theirs open; the published file is never written). The raw file is attached
read-only as in every build. On PostgreSQL the catalog queries read the target database directly.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dashboard.site import copy_into, site_dir
from dashboard.source import DashboardError
from ingest.config import REPO_ROOT, paths as campaign_paths

log = logging.getLogger(__name__)
DBT_DIR = REPO_ROOT / "dbt_project"


def build_dbt_docs(home: str | Path | None = None, target: str | None = None) -> Path:
    """Generate the self-contained dbt docs page; returns site/dbt_docs/index.html."""
    paths = campaign_paths(home)
    target = target or os.environ.get("CAMPAIGN_TARGET", "duckdb")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false",
           "CAMPAIGN_SCHEMA_SUFFIX": ""}  # the published schemas, never a write-audit-publish candidate
    with tempfile.TemporaryDirectory(prefix="dbt-docs-", dir=paths.home) as scratch:
        work = Path(scratch)
        if target == "duckdb":
            if not paths.published_db.exists():
                raise DashboardError(f"no published warehouse at {paths.published_db}")
            shutil.copyfile(paths.published_db, work / "campaign.duckdb")
            env.update(CAMPAIGN_DBT_DUCKDB_PATH=str(work / "campaign.duckdb"), CAMPAIGN_RAW_DB=str(paths.raw_db))
        elif target == "postgres":
            from ingest.pg import dbt_env, dsn
            env.update(dbt_env(dsn()))
        else:
            raise DashboardError(f"unknown warehouse target {target!r}: expected duckdb or postgres")
        args = [str(Path(sys.executable).with_name("dbt")), "docs", "generate", "--static",
                "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target", target,
                "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
        proc = subprocess.run(args, env=env, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            log.info("dbt docs | %s", line)
        if proc.returncode != 0:
            raise DashboardError(f"dbt docs generate failed (exit {proc.returncode}): "
                                 + " | ".join(proc.stdout.splitlines()[-5:]))
        return copy_into(work / "target" / "static_index.html", site_dir(paths) / "dbt_docs" / "index.html")
